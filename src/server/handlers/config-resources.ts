/**
 * Shared by DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and CreateTopics: Kafka's config
 * resource types, which resource a request names, the server's read-only broker entries, and the
 * wire shape of a described config at each version. The config rules themselves live in
 * src/storage (log-config.ts, broker-configs.ts, config-describe.ts).
 */
import { FETCH_MAX_BYTES, SOCKET_REQUEST_MAX_BYTES } from '../../common/limits.js';
import { KafkaCodeError } from '../../common/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ConfigType } from '../../storage/config-values.js';
import { ConfigSource, type DescribedConfig } from '../../storage/config-describe.js';
import type { BrokerConfigScope } from '../../storage/broker-configs.js';
import type { TopicInfo } from '../broker-api.js';
import type { RequestContext, ServerContext } from '../handler.js';
import { allowed } from '../security/session.js';

export { ConfigSource } from '../../storage/config-describe.js';

/** ConfigResource.Type in Kafka. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/**
 * Which broker resource a name means: "" is the cluster-wide default, this broker's id the broker
 * itself. Anything else is INVALID_REQUEST, with Kafka's messages.
 */
export function brokerScope(resourceName: string, context: ServerContext): BrokerConfigScope {
  if (resourceName === '') return 'default';
  if (!/^-?\d+$/.test(resourceName)) throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resourceName}`);
  if (Number(resourceName) !== context.broker.nodeId) {
    throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${context.broker.nodeId} or empty string, but received ${resourceName}`);
  }
  return 'broker';
}

/** What the server was started with: fixed until a restart, so read-only (STATIC_BROKER_CONFIG). */
export function serverConfigEntries(context: ServerContext): DescribedConfig[] {
  const fixed: [string, string, keyof typeof ConfigType][] = [
    ['advertised.listeners', `PLAINTEXT://${context.advertisedHost}:${context.advertisedPort}`, 'string'],
    ['auto.create.topics.enable', String(context.autoCreateTopics), 'boolean'],
    ['broker.id', String(context.broker.nodeId), 'int'],
    ['default.replication.factor', '1', 'int'],
    ['fetch.max.bytes', String(FETCH_MAX_BYTES), 'int'],
    ['node.id', String(context.broker.nodeId), 'int'],
    ['num.partitions', String(context.numPartitions), 'int'],
    ['socket.request.max.bytes', String(SOCKET_REQUEST_MAX_BYTES), 'int'],
  ];
  return fixed.map(([name, value, type]) => ({
    name, value, source: ConfigSource.STATIC_BROKER_CONFIG, readOnly: true, isSensitive: false,
    configType: ConfigType[type], documentation: 'Set when the broker starts.',
    synonyms: [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }],
  }));
}

/** A resource AlterConfigs / IncrementalAlterConfigs may change. */
export type AlterableResource = { kind: 'topic'; info: TopicInfo } | { kind: 'broker'; scope: BrokerConfigScope };

/**
 * The checks AlterConfigs and IncrementalAlterConfigs make before changing a resource, in Kafka's
 * order: a known resource type, the principal's alter permission (on the topic, or on the cluster
 * for broker configs), and an existing topic or this broker's id. Throws KafkaCodeError.
 */
export function alterableResource(resourceType: number, resourceName: string, context: RequestContext): AlterableResource {
  if (resourceType === ResourceType.BROKER) {
    if (!allowed(context, 'alter', 'cluster', 'kafka-cluster')) throw new KafkaCodeError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.');
    return { kind: 'broker', scope: brokerScope(resourceName, context.server) };
  }
  if (resourceType !== ResourceType.TOPIC) throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceType}`);
  if (!allowed(context, 'alter', 'topic', resourceName)) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  const info = context.server.broker.topic(resourceName);
  if (info === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resourceName}' does not exist`);
  return { kind: 'topic', info };
}
