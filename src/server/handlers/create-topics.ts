/**
 * CreateTopics (api key 19), v0-v7. Per topic, checked in Kafka's order, answered as data:
 * duplicate name in one request -> INVALID_REQUEST; replicationFactor other than 1 or -1 ->
 * INVALID_REPLICATION_FACTOR (one broker); manual assignments must put every partition on node 0
 * (INVALID_REPLICA_ASSIGNMENT) and come with numPartitions and replicationFactor -1
 * (INVALID_REQUEST); numPartitions -1 = num.partitions, 0 or below -1 -> INVALID_PARTITIONS;
 * null config value -> INVALID_CONFIG. validateOnly checks name, existence, partition count and
 * configs the way a real create would, and creates nothing. v4+ clients send -1 for "the broker's
 * default" partition count and replication factor (KIP-464); any version may. v5+ answers carry the
 * created topic's partition count, replication factor and configs (KIP-525; with validateOnly the
 * configs the request set), v7+ its topic id.
 */
import * as api from '../../protocol/apis/create-topics.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PARTITIONS_MAX } from '../../common/limits.js';
import { KafkaCodeError } from '../../common/errors.js';
import { parseTopicConfigs } from '../../storage/log-config.js';
import { validateTopicName } from '../../storage/topic-names.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { attempt } from './errors.js';
import { ConfigSource } from './config-resources.js';
import { ZERO_UUID } from '../../protocol/apis/runtime.js';
import { allowed } from '../security/session.js';

type TopicResult = api.CreatableTopicResult;

export const createTopicsHandler = defineHandler<api.CreateTopicsRequest, api.CreateTopicsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.CreateTopicsResponse> {
    const nameCounts = new Map<string, number>();
    for (const topic of request.topics) nameCounts.set(topic.name, (nameCounts.get(topic.name) ?? 0) + 1);
    const topics: TopicResult[] = [];
    for (const topic of request.topics) {
      const result = { ...api.defaultCreatableTopicResult(), name: topic.name };
      if (nameCounts.get(topic.name)! > 1) {
        topics.push({ ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${topic.name}' appears more than once in the request` });
        continue;
      }
      if (!allowed(context, 'create', 'topic', topic.name)) {
        topics.push({ ...result, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      let created: CreatedTopic | undefined;
      const outcome = await attempt(async () => {
        created = await createOne(topic, request.validateOnly, context);
      });
      topics.push({ ...result, ...outcome, ...(outcome.errorCode === ErrorCode.NONE && context.apiVersion >= 5 ? created : {}) });
    }
    return { ...api.defaultCreateTopicsResponse(), topics };
  },
  errorResponse: () => api.defaultCreateTopicsResponse(),
});

/** What a v5+ answer tells about a created (or validated) topic. */
type CreatedTopic = Pick<TopicResult, 'topicId' | 'numPartitions' | 'replicationFactor' | 'configs'>;

async function createOne(topic: api.CreatableTopic, validateOnly: boolean, context: RequestContext): Promise<CreatedTopic> {
  const { broker, numPartitions } = context.server;
  if (topic.replicationFactor !== 1 && topic.replicationFactor !== -1) {
    throw new KafkaCodeError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${topic.replicationFactor}: this broker has one node, so it must be 1 (or -1 for the default)`);
  }
  let partitionCount = topic.numPartitions === -1 ? numPartitions : topic.numPartitions;
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when replica assignments are given');
    }
    const onlyNodeZero = topic.assignments.every((a, i) => a.partitionIndex === i && a.brokerIds.length === 1 && a.brokerIds[0] === broker.nodeId);
    if (!onlyNodeZero) {
      throw new KafkaCodeError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `every partition must be assigned to node ${broker.nodeId} alone, in partition order`);
    }
    partitionCount = topic.assignments.length;
  }
  if (partitionCount < 1 || partitionCount > PARTITIONS_MAX) {
    throw new KafkaCodeError(ErrorCode.INVALID_PARTITIONS, `number of partitions ${topic.numPartitions} must be in [1, ${PARTITIONS_MAX}] (or -1 for the default)`);
  }
  const configs: Record<string, string> = {};
  for (const entry of topic.configs) {
    if (entry.value === null) throw new KafkaCodeError(ErrorCode.INVALID_CONFIG, `config '${entry.name}' has a null value`);
    configs[entry.name] = entry.value;
  }
  if (validateOnly) {
    validateTopicName(topic.name);
    if (broker.topic(topic.name) !== undefined) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    parseTopicConfigs(configs);
    return { topicId: ZERO_UUID, numPartitions: partitionCount, replicationFactor: 1, configs: configList(configs, configs) };
  }
  await broker.createTopic(topic.name, { partitions: partitionCount, configs });
  const info = broker.topic(topic.name);
  return {
    topicId: info?.topicId ?? ZERO_UUID,
    numPartitions: partitionCount,
    replicationFactor: 1,
    configs: configList(info === undefined ? configs : broker.topicConfig(topic.name), configs),
  };
}

/** The topic's configs as CreateTopics v5+ lists them: set by the request, or defaults. */
function configList(effective: Record<string, string>, overrides: Record<string, string>): api.CreatableTopicConfigs[] {
  return Object.entries(effective).map(([name, value]) => ({
    ...api.defaultCreatableTopicConfigs(),
    name,
    value,
    configSource: name in overrides ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
  }));
}
