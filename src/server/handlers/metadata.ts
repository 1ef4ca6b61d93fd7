/**
 * Metadata (api key 3), v1-v4. One broker: node `broker.nodeId` (0) at the advertised host/port,
 * controller and leader of every partition, the only replica and the only in-sync replica.
 *
 * topics null = all topics; [] = none. A named topic that does not exist is created with
 * num.partitions when auto.create.topics.enable is on and the request allows it (v4+'s
 * allowAutoTopicCreation; always allowed below v4, as in Kafka); it is reported at once, since
 * creation here completes before we answer. A bad name gets INVALID_TOPIC_EXCEPTION.
 */
import * as api from '../../protocol/apis/metadata.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { TopicInfo } from '../broker-api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';

type TopicResponse = api.MetadataResponseTopic;

export const metadataHandler = defineHandler<api.MetadataRequest, api.MetadataResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.MetadataResponse> {
    const { broker, advertisedHost, advertisedPort } = context.server;
    let topics: TopicResponse[];
    if (request.topics === null) {
      // Listing all: topics the principal may not describe are left out, as Kafka does.
      topics = broker
        .topics()
        .filter((info) => allowed(context, 'describe', 'topic', info.name))
        .map((info) => describeTopic(info, broker.nodeId));
    } else {
      const allowCreate = context.server.autoCreateTopics && (context.apiVersion < 4 || request.allowAutoTopicCreation);
      topics = [];
      for (const requested of request.topics) {
        topics.push(await lookUp(requested.name ?? '', allowCreate, context));
      }
    }
    return {
      ...api.defaultMetadataResponse(),
      brokers: [{ ...api.defaultMetadataResponseBroker(), nodeId: broker.nodeId, host: advertisedHost, port: advertisedPort }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
    };
  },
  errorResponse: () => api.defaultMetadataResponse(),
});

async function lookUp(name: string, allowCreate: boolean, context: RequestContext): Promise<TopicResponse> {
  const { broker } = context.server;
  // Named but not describable: TOPIC_AUTHORIZATION_FAILED whether or not it exists (no leak).
  if (!allowed(context, 'describe', 'topic', name)) return topicError(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const existing = broker.topic(name);
  if (existing !== undefined) return describeTopic(existing, broker.nodeId);
  if (!allowCreate) return topicError(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!allowed(context, 'create', 'topic', name)) return topicError(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  try {
    await broker.createTopic(name, { partitions: context.server.numPartitions });
  } catch (error) {
    const { errorCode } = kafkaErrorOf(error);
    // A concurrent request may have created it first: that is success for us.
    if (errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) return topicError(name, errorCode);
  }
  const created = broker.topic(name);
  return created === undefined ? topicError(name, ErrorCode.LEADER_NOT_AVAILABLE) : describeTopic(created, broker.nodeId);
}

function describeTopic(info: TopicInfo, nodeId: number): TopicResponse {
  const partitions = [];
  for (let partitionIndex = 0; partitionIndex < info.partitionCount; partitionIndex++) {
    partitions.push({
      ...api.defaultMetadataResponsePartition(),
      partitionIndex,
      leaderId: nodeId,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
    });
  }
  return { ...api.defaultMetadataResponseTopic(), name: info.name, topicId: info.topicId, isInternal: info.internal, partitions };
}

function topicError(name: string, errorCode: number): TopicResponse {
  return { ...api.defaultMetadataResponseTopic(), name, errorCode };
}
