/**
 * Shared by DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: Kafka's config resource
 * types and sources, and the broker resource's read-only entries.
 */
import { FETCH_MAX_BYTES, MESSAGE_MAX_BYTES_DEFAULT, SOCKET_REQUEST_MAX_BYTES } from '../../common/limits.js';
import { KafkaCodeError } from '../../common/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { TopicInfo } from '../broker-api.js';
import type { RequestContext, ServerContext } from '../handler.js';
import { allowed } from '../security/session.js';

/** ConfigResource.Type in Kafka. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** DescribeConfigsResponse.ConfigSource in Kafka. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** The broker resource is named by its node id ("0"); Kafka also accepts "" for the default. */
export function isThisBroker(resourceName: string, context: ServerContext): boolean {
  return resourceName === '' || resourceName === String(context.broker.nodeId);
}

/** What a broker resource describes: fixed at start, so every entry is read-only. */
export function brokerConfigEntries(context: ServerContext): Record<string, string> {
  return {
    'node.id': String(context.broker.nodeId),
    'broker.id': String(context.broker.nodeId),
    'advertised.listeners': `PLAINTEXT://${context.advertisedHost}:${context.advertisedPort}`,
    'auto.create.topics.enable': String(context.autoCreateTopics),
    'num.partitions': String(context.numPartitions),
    'default.replication.factor': '1',
    'message.max.bytes': String(MESSAGE_MAX_BYTES_DEFAULT),
    'socket.request.max.bytes': String(SOCKET_REQUEST_MAX_BYTES),
    'fetch.max.bytes': String(FETCH_MAX_BYTES),
  };
}

/**
 * The checks AlterConfigs and IncrementalAlterConfigs make before changing a resource, in Kafka's
 * order: only topics are alterable here, the principal needs alter on it, and it must exist.
 * Throws KafkaCodeError with the code to answer.
 */
export function alterableTopic(resourceType: number, resourceName: string, context: RequestContext): TopicInfo {
  if (resourceType !== ResourceType.TOPIC) {
    throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, 'only topic configs can be altered; broker configs are fixed at start');
  }
  if (!allowed(context, 'alter', 'topic', resourceName)) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  const info = context.server.broker.topic(resourceName);
  if (info === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resourceName}' does not exist`);
  return info;
}
