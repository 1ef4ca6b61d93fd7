/**
 * Metadata (api key 3), v0-v12. One broker: node `broker.nodeId` (0) at the advertised host/port,
 * controller and leader of every partition, the only replica and the only in-sync replica, at the
 * topic's leader epoch (v7+; metadata-log.ts says how it is chosen).
 *
 * Which topics: v0 lists every topic for an empty array (it has no null); v1+ lists every topic
 * for null and none for []. v10-v11 carry topic ids but may not use them (name null or an id set:
 * INVALID_REQUEST, as Kafka); v12 looks topics up by id when the name is null (an unknown id:
 * UNKNOWN_TOPIC_ID, name null). A named topic that does not exist is created with num.partitions
 * when auto.create.topics.enable is on and the request allows it (v4+'s allowAutoTopicCreation;
 * always allowed below v4, as in Kafka); it is reported at once, since creation here completes
 * before we answer. A bad name gets INVALID_TOPIC_EXCEPTION. Authorized operations (KIP-430) are
 * filled in when asked for (v8+).
 */
import * as api from '../../protocol/apis/metadata.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ZERO_UUID } from '../../protocol/apis/runtime.js';
import type { TopicInfo } from '../broker-api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';
import { authorizedOperations, AUTHORIZED_OPERATIONS_OMITTED } from './authorized-operations.js';
import { CLUSTER_RESOURCE_NAME } from './cluster.js';

type TopicResponse = api.MetadataResponseTopic;
type Request = api.MetadataRequest;

export const metadataHandler = defineHandler<Request, api.MetadataResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.MetadataResponse> {
    const { broker, advertisedHost, advertisedPort } = context.server;
    const version = context.apiVersion;
    const base = {
      ...api.defaultMetadataResponse(),
      brokers: [{ ...api.defaultMetadataResponseBroker(), nodeId: broker.nodeId, host: advertisedHost, port: advertisedPort }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      clusterAuthorizedOperations:
        version >= 8 && version <= 10
          ? authorizedOperations(context, request.includeClusterAuthorizedOperations, 'cluster', CLUSTER_RESOURCE_NAME)
          : AUTHORIZED_OPERATIONS_OMITTED,
    };
    const withOperations = version >= 8 && request.includeTopicAuthorizedOperations;
    const describe = (info: TopicInfo): TopicResponse => ({
      ...describeTopic(info, broker.nodeId),
      topicAuthorizedOperations: authorizedOperations(context, withOperations, 'topic', info.name),
    });
    const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
    if (allTopics) {
      // Listing all: topics the principal may not describe are left out, as Kafka does.
      const topics = broker.topics().filter((info) => allowed(context, 'describe', 'topic', info.name)).map(describe);
      return { ...base, topics };
    }
    const requested = request.topics!;
    if (version >= 10 && version < 12 && requested.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
      // Kafka: "Topic IDs are not supported in requests for version 10/11" — InvalidRequestException.
      return { ...base, topics: requested.map((t) => topicError(t.name ?? '', t.topicId, ErrorCode.INVALID_REQUEST)) };
    }
    const allowCreate = context.server.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation);
    const topics: TopicResponse[] = [];
    for (const wanted of requested) {
      const found = wanted.name === null ? await lookUpById(wanted.topicId, context) : await lookUp(wanted.name, allowCreate, context);
      topics.push('errorCode' in found ? found : describe(found));
    }
    return { ...base, topics };
  },
  errorResponse: () => api.defaultMetadataResponse(),
});

/** v12: a topic by id. Unknown and undescribable ids answer alike (no leak of which ids exist). */
async function lookUpById(topicId: string, context: RequestContext): Promise<TopicInfo | TopicResponse> {
  const info = context.server.broker.topics().find((t) => t.topicId === topicId);
  if (info === undefined || !allowed(context, 'describe', 'topic', info.name)) return topicError(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID);
  return info;
}

async function lookUp(name: string, allowCreate: boolean, context: RequestContext): Promise<TopicInfo | TopicResponse> {
  const { broker } = context.server;
  // Named but not describable: TOPIC_AUTHORIZATION_FAILED whether or not it exists (no leak).
  if (!allowed(context, 'describe', 'topic', name)) return topicError(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const existing = broker.topic(name);
  if (existing !== undefined) return existing;
  if (!allowCreate) return topicError(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!allowed(context, 'create', 'topic', name)) return topicError(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  try {
    await broker.createTopic(name, { partitions: context.server.numPartitions });
  } catch (error) {
    const { errorCode } = kafkaErrorOf(error);
    // A concurrent request may have created it first: that is success for us.
    if (errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) return topicError(name, ZERO_UUID, errorCode);
  }
  return broker.topic(name) ?? topicError(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE);
}

function describeTopic(info: TopicInfo, nodeId: number): TopicResponse {
  const partitions = [];
  for (let partitionIndex = 0; partitionIndex < info.partitionCount; partitionIndex++) {
    partitions.push({
      ...api.defaultMetadataResponsePartition(),
      partitionIndex,
      leaderId: nodeId,
      leaderEpoch: info.leaderEpoch,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
    });
  }
  return { ...api.defaultMetadataResponseTopic(), name: info.name, topicId: info.topicId, isInternal: info.internal, partitions };
}

/** A topic answered with an error; its name stays null only for an id lookup (v12), as in Kafka. */
function topicError(name: string | null, topicId: string, errorCode: number): TopicResponse {
  return { ...api.defaultMetadataResponseTopic(), name, topicId, errorCode };
}
