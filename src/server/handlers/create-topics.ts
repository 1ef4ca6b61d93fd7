/**
 * CreateTopics (api key 19), v0-v3. Per topic, checked in Kafka's order, answered as data:
 * duplicate name in one request -> INVALID_REQUEST; replicationFactor other than 1 or -1 ->
 * INVALID_REPLICATION_FACTOR (one broker); manual assignments must put every partition on node 0
 * (INVALID_REPLICA_ASSIGNMENT) and come with numPartitions and replicationFactor -1
 * (INVALID_REQUEST); numPartitions -1 = num.partitions, 0 or below -1 -> INVALID_PARTITIONS;
 * null config value -> INVALID_CONFIG. validateOnly checks name, existence, partition count and
 * configs the way a real create would, and creates nothing.
 */
import * as api from '../../protocol/apis/create-topics.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PARTITIONS_MAX } from '../../common/limits.js';
import { KafkaCodeError } from '../../common/errors.js';
import { parseTopicConfigs, topicConfigValues } from '../../storage/log-config.js';
import { topicDefaultsFrom } from '../../storage/broker-configs.js';
import { describeTopicConfigs } from '../../storage/config-describe.js';
import { validateTopicName } from '../../storage/topic-names.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { attempt } from './errors.js';
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
      let partitionCount = -1;
      const outcome = await attempt(async () => {
        partitionCount = await createOne(topic, request.validateOnly, context);
      });
      // v5+ reports the created topic's partition count, replication factor and configs.
      const created = outcome.errorCode === ErrorCode.NONE && context.apiVersion >= 5
        ? { numPartitions: partitionCount, replicationFactor: 1, configs: createdTopicConfigs(topic, context) }
        : {};
      topics.push({ ...result, ...outcome, ...created });
    }
    return { ...api.defaultCreateTopicsResponse(), topics };
  },
  errorResponse: () => api.defaultCreateTopicsResponse(),
});

/** Creates (or with validateOnly, checks) one topic; returns its partition count. */
async function createOne(topic: api.CreatableTopic, validateOnly: boolean, context: RequestContext): Promise<number> {
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
    parseTopicConfigs(configs, topicDefaultsFrom(broker.brokerConfigLayers()));
    return partitionCount;
  }
  await broker.createTopic(topic.name, { partitions: partitionCount, configs });
  return partitionCount;
}

/** CreateTopics v5+'s config list: every topic config with its value and source, as DescribeConfigs. */
function createdTopicConfigs(topic: api.CreatableTopic, context: RequestContext): api.CreatableTopicConfigs[] {
  const { broker } = context.server;
  const layers = broker.brokerConfigLayers();
  const overrides: Record<string, string> = {};
  for (const entry of topic.configs) if (entry.value !== null) overrides[entry.name] = entry.value;
  const canonical = parseTopicConfigs(overrides, topicDefaultsFrom(layers));
  const values = topicConfigValues(canonical, topicDefaultsFrom(layers));
  return describeTopicConfigs(values, canonical, layers).map((c) => ({
    ...api.defaultCreatableTopicConfigs(),
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.source,
    isSensitive: c.isSensitive,
  }));
}
