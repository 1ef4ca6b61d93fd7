/**
 * DescribeCluster (api key 60), v0-v1 (KIP-700, KIP-919): the one broker, which is also the
 * controller. v1's EndpointType 2 (controllers) is a question for a KRaft controller listener;
 * Brook's listener is a broker listener, so it answers MISMATCHED_ENDPOINT_TYPE as a Kafka broker
 * does. Admin clients need DESCRIBE on the cluster (Kafka checks nothing here but lists
 * authorized operations; we do the same).
 */
import * as api from '../../protocol/apis/describe-cluster.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { authorizedOperations } from './authorized-operations.js';

/** Kafka's name of the cluster resource in ACLs. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

const ENDPOINT_TYPE_BROKERS = 1;

export const describeClusterHandler = defineHandler<api.DescribeClusterRequest, api.DescribeClusterResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.DescribeClusterResponse {
    const { broker, advertisedHost, advertisedPort } = context.server;
    const base = { ...api.defaultDescribeClusterResponse(), clusterId: broker.clusterId };
    if (context.apiVersion >= 1 && request.endpointType !== ENDPOINT_TYPE_BROKERS) {
      return {
        ...base,
        errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        errorMessage: `The request was sent to an endpoint of type BROKER, but endpoint type ${request.endpointType} was asked for.`,
      };
    }
    return {
      ...base,
      controllerId: broker.nodeId,
      brokers: [{ ...api.defaultDescribeClusterBroker(), brokerId: broker.nodeId, host: advertisedHost, port: advertisedPort }],
      clusterAuthorizedOperations: authorizedOperations(context, request.includeClusterAuthorizedOperations, 'cluster', CLUSTER_RESOURCE_NAME),
    };
  },
  errorResponse: (errorCode) => ({ ...api.defaultDescribeClusterResponse(), errorCode }),
});
