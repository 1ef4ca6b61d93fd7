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
import { parseTopicConfigs, topicConfigValues } from '../../storage/log-config.js';
import { topicDefaultsFrom } from '../../storage/broker-configs.js';
import { describeTopicConfigs } from '../../storage/config-describe.js';
import { validateTopicName } from '../../storage/topic-names.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { attempt, kafkaErrorOf } from './errors.js';
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
    // Every topic that passes its checks is created by one Broker.createTopics call: one
    // metadata-log record for the whole request, its partitions opened together.
    const creations: { result: TopicResult; plan: TopicPlan }[] = [];
    for (const topic of request.topics) {
      const result: TopicResult = { ...api.defaultCreatableTopicResult(), name: topic.name };
      topics.push(result);
      if (nameCounts.get(topic.name)! > 1) {
        Object.assign(result, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${topic.name}' appears more than once in the request` });
        continue;
      }
      if (!allowed(context, 'create', 'topic', topic.name)) {
        Object.assign(result, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      let plan: TopicPlan | null = null;
      Object.assign(result, await attempt(() => void (plan = planOne(topic, request.validateOnly, context))));
      if (plan !== null && !request.validateOnly) creations.push({ result, plan });
      else if (plan !== null && context.apiVersion >= 5) Object.assign(result, describeCreated(plan, context, true));
    }
    if (creations.length > 0) {
      const outcomes = await context.server.broker.createTopics(creations.map((c) => c.plan));
      outcomes.forEach((error, i) => {
        const { result, plan } = creations[i]!;
        Object.assign(result, error === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : kafkaErrorOf(error));
        if (error === null && context.apiVersion >= 5) Object.assign(result, describeCreated(plan, context, false));
      });
    }
    return { ...api.defaultCreateTopicsResponse(), topics };
  },
  errorResponse: () => api.defaultCreateTopicsResponse(),
});

/** What a v5+ answer tells about a created (or, validateOnly, checked) topic: every config with its source. */
function describeCreated(plan: TopicPlan, context: RequestContext, validateOnly: boolean): Partial<TopicResult> {
  const info = validateOnly ? undefined : context.server.broker.topic(plan.name);
  return {
    topicId: info?.topicId ?? ZERO_UUID,
    numPartitions: plan.partitions,
    replicationFactor: 1,
    configs: createdTopicConfigs(plan.configs, context),
  };
}

interface TopicPlan {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** Checks one topic as Kafka does; returns what to create (also with validateOnly, which then creates nothing). */
function planOne(topic: api.CreatableTopic, validateOnly: boolean, context: RequestContext): TopicPlan {
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
  }
  return { name: topic.name, partitions: partitionCount, configs };
}

/** CreateTopics v5+'s config list: every topic config with its value and source, as DescribeConfigs. */
function createdTopicConfigs(configs: Record<string, string>, context: RequestContext): api.CreatableTopicConfigs[] {
  const layers = context.server.broker.brokerConfigLayers();
  const defaults = topicDefaultsFrom(layers);
  const canonical = parseTopicConfigs(configs, defaults);
  return describeTopicConfigs(topicConfigValues(canonical, defaults), canonical, layers).map((c) => ({
    ...api.defaultCreatableTopicConfigs(),
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.source,
    isSensitive: c.isSensitive,
  }));
}
