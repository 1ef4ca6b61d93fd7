/**
 * BrookBackend over the Kafka protocol: `brook --broker host:port ...` and the embedded API talk to
 * a running `brook serve` (or any Kafka broker) through src/client/. Owned by one Brook instance
 * or CLI command on the main thread; not thread-safe.
 *
 * Same error convention as the in-process BrokerBackend: admin calls throw KafkaCodeError with the
 * code the broker answered; produce, fetch, listOffset and deleteRecords return codes as data.
 * Operating failures (broker unreachable, timeout) reject with the client's BrookErrors.
 *
 * What the protocol cannot say:
 * - describeTopic's sizeBytes comes from DescribeLogDirs (-1 where the broker refuses it, e.g. a
 *   user without DESCRIBE on the cluster); segmentCount is -1 (unknown: no Kafka API reports it). logStartOffset comes from ListOffsets
 *   EARLIEST; logEndOffset and highWatermark both from ListOffsets LATEST (on one host with
 *   acks=1 they are the same once a produce is acknowledged).
 * - topicId is the zero UUID: Metadata carries it only from v10, above what Brook advertises.
 * - flush() cannot fsync a remote log; it waits for this backend's produce calls to be answered
 *   (the broker's flush.messages / flush.ms decide durability).
 */
import { KafkaCodeError } from '../common/errors.js';
import { KafkaClient, ConfigResourceType, type ConnectionOptions } from '../client/client.js';
import { BrokerProtocolError } from '../client/errors.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES } from '../protocol/record-batch.js';
import * as describeConfigsApi from '../protocol/apis/describe-configs.js';
import * as fetchApi from '../protocol/apis/fetch.js';
import * as incrementalAlterConfigsApi from '../protocol/apis/incremental-alter-configs.js';
import * as metadataApi from '../protocol/apis/metadata.js';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type Acks,
  type BackendFetchOptions,
  type BackendFetchRequest,
  type BackendFetchResult,
  type BackendProduceResult,
  type BrookBackend,
  type GroupTransport,
  type PartitionDescription,
  type TopicDescription,
  type TopicDetails,
} from './backend.js';
import { NetworkGroupTransport } from './group-transport.js';

export interface NetworkBackendOptions extends ConnectionOptions {
  /** Default: the broker's auto.create.topics.enable when it describes it, else true. */
  autoCreateTopics?: boolean;
  /** Default: the broker's num.partitions when it describes it, else 1. */
  numPartitions?: number;
}

/** DescribeConfigsResponse.ConfigSource: a topic override (v1+). */
const DYNAMIC_TOPIC_CONFIG = 1;
/** IncrementalAlterConfigs' AlterConfigOp.OpType SET. */
const OP_SET = 0;

function kafkaError(errorCode: number, errorMessage: string | null, what: string): KafkaCodeError {
  return new KafkaCodeError(errorCode, errorMessage ?? `${what}: ${errorName(errorCode)}`);
}

function throwIfError(result: { errorCode: number; errorMessage?: string | null }, what: string): void {
  if (result.errorCode !== ErrorCode.NONE) throw kafkaError(result.errorCode, result.errorMessage ?? null, what);
}

function single<T>(items: readonly T[], what: string, address: string): T {
  const item = items[0];
  if (items.length !== 1 || item === undefined) {
    throw new BrokerProtocolError(address, `broker ${address} answered ${what} with ${items.length} results, expected 1`);
  }
  return item;
}

/**
 * A fetch may end in a partial batch (Kafka cuts at partitionMaxBytes); BrookBackend promises
 * whole batches, so the tail is dropped and read again by the next fetch.
 */
function wholeBatches(records: Buffer | null): Buffer | null {
  if (records === null) return null;
  let position = 0;
  while (position + LOG_OVERHEAD_BYTES <= records.length) {
    const sizeBytes = records.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < LOG_OVERHEAD_BYTES || position + sizeBytes > records.length) break;
    position += sizeBytes;
  }
  return position === records.length ? records : records.subarray(0, position);
}

function isTopicOverride(entry: describeConfigsApi.DescribeConfigsResourceResult): boolean {
  // v0 has no configSource (decodes as its default); isDefault says the same thing there.
  return entry.configSource === DYNAMIC_TOPIC_CONFIG || (entry.configSource < 0 && !entry.isDefault && !entry.readOnly);
}

export class NetworkBackend implements BrookBackend {
  /** Produce calls not yet answered; flush() waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Group APIs over the same connection (the bootstrap broker is every group's coordinator). */
  readonly groups: GroupTransport;

  private constructor(
    private readonly client: KafkaClient,
    readonly autoCreateTopics: boolean,
    readonly numPartitions: number,
  ) {
    this.groups = new NetworkGroupTransport(client);
  }

  /** Connects to `host:port` (e.g. a `brook serve`) and reads its topic-creation defaults. */
  static async connect(address: string, options: NetworkBackendOptions = {}): Promise<NetworkBackend> {
    const client = await KafkaClient.connect(address, options);
    try {
      const defaults = await brokerDefaults(client);
      return new NetworkBackend(
        client,
        options.autoCreateTopics ?? defaults.autoCreateTopics ?? true,
        options.numPartitions ?? defaults.numPartitions ?? 1,
      );
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  get address(): string {
    return this.client.address;
  }

  async createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    const response = await this.client.createTopics({
      timeoutMs: this.client.requestTimeoutMs,
      topics: [{
        name,
        numPartitions: options.partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(options.configs ?? {}).map(([key, value]) => ({ name: key, value })),
      }],
    });
    throwIfError(single(response.topics, 'CreateTopics', this.address), `create topic '${name}'`);
  }

  async deleteTopic(name: string): Promise<void> {
    const response = await this.client.deleteTopics({ topicNames: [name], timeoutMs: this.client.requestTimeoutMs });
    throwIfError(single(response.responses, 'DeleteTopics', this.address), `delete topic '${name}'`);
  }

  async createPartitions(name: string, totalCount: number): Promise<void> {
    const response = await this.client.createPartitions({
      topics: [{ name, count: totalCount, assignments: null }],
      timeoutMs: this.client.requestTimeoutMs,
    });
    throwIfError(single(response.results, 'CreatePartitions', this.address), `create partitions of '${name}'`);
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void> {
    if (mode === 'incremental' && this.client.supports(incrementalAlterConfigsApi)) {
      const response = await this.client.incrementalAlterConfigs({
        resources: [{
          resourceType: ConfigResourceType.TOPIC,
          resourceName: name,
          configs: Object.entries(configs).map(([key, value]) => ({ name: key, configOperation: OP_SET, value })),
        }],
      });
      throwIfError(single(response.responses, 'IncrementalAlterConfigs', this.address), `alter configs of '${name}'`);
      return;
    }
    // Legacy AlterConfigs replaces the whole override set; an incremental change without
    // IncrementalAlterConfigs is read-modify-write (not atomic against another writer).
    const overrides = mode === 'incremental' ? { ...(await this.topicConfigs(name, true)), ...configs } : configs;
    const response = await this.client.alterConfigs({
      resources: [{
        resourceType: ConfigResourceType.TOPIC,
        resourceName: name,
        configs: Object.entries(overrides).map(([key, value]) => ({ name: key, value })),
      }],
    });
    throwIfError(single(response.responses, 'AlterConfigs', this.address), `alter configs of '${name}'`);
  }

  async listTopics(): Promise<TopicDescription[]> {
    const response = await this.client.metadata({ topics: null, allowAutoTopicCreation: false });
    const topics = response.topics.filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null);
    const configs = await this.describeTopicConfigs(topics.map((t) => t.name!), true);
    return topics
      .map((t) => ({
        name: t.name!,
        topicId: t.topicId,
        partitionCount: t.partitions.length,
        configs: configs.get(t.name!) ?? {},
        internal: t.isInternal,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async describeTopic(name: string): Promise<TopicDetails | undefined> {
    const response = await this.client.metadata({
      topics: [{ ...metadataApi.defaultMetadataRequestTopic(), name }],
      allowAutoTopicCreation: false,
    });
    const topic = single(response.topics, 'Metadata', this.address);
    if (topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
    throwIfError(topic, `describe topic '${name}'`);
    const configs = await this.describeTopicConfigs([name], false);
    const effective = configs.get(name);
    if (effective === undefined) return undefined; // deleted between the two requests
    const partitionIndexes = topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
    const [earliest, latest, sizes] = await Promise.all([
      this.listOffsets(name, partitionIndexes, EARLIEST_TIMESTAMP),
      this.listOffsets(name, partitionIndexes, LATEST_TIMESTAMP),
      this.partitionSizes(name, partitionIndexes),
    ]);
    const partitions: PartitionDescription[] = partitionIndexes.map((partition) => ({
      partition,
      logStartOffset: earliest.get(partition) ?? -1,
      logEndOffset: latest.get(partition) ?? -1,
      highWatermark: latest.get(partition) ?? -1,
      sizeBytes: sizes.get(partition) ?? -1,
      segmentCount: -1,
    }));
    return {
      name,
      topicId: topic.topicId,
      partitionCount: partitions.length,
      configs: effective,
      internal: topic.isInternal,
      partitions,
    };
  }

  async produce(topic: string, partition: number, batches: Buffer, acks: Acks): Promise<BackendProduceResult> {
    const producing = this.client.produce({
      acks: acks === 'all' ? -1 : acks,
      timeoutMs: this.client.requestTimeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batches }] }],
    });
    this.pending.add(producing);
    let response;
    try {
      response = await producing;
    } finally {
      this.pending.delete(producing);
    }
    if (response === null) return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1 };
    const topicResponse = single(response.responses, 'Produce', this.address);
    const result = single(topicResponse.partitionResponses, 'Produce', this.address);
    return {
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
    };
  }

  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    const response = await this.client.initProducerId({ transactionalId: null });
    throwIfError(response, 'InitProducerId');
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  async fetch(requests: BackendFetchRequest[], options: BackendFetchOptions): Promise<BackendFetchResult[]> {
    const byTopic = new Map<string, fetchApi.FetchPartition[]>();
    for (const request of requests) {
      const partitions = byTopic.get(request.topic) ?? [];
      partitions.push({
        ...fetchApi.defaultFetchPartition(),
        partition: request.partition,
        fetchOffset: request.fetchOffset,
        partitionMaxBytes: request.partitionMaxBytes,
      });
      byTopic.set(request.topic, partitions);
    }
    const response = await this.client.fetch({
      maxWaitMs: options.maxWaitMs,
      minBytes: options.minBytes,
      maxBytes: options.maxBytes,
      topics: [...byTopic].map(([topic, partitions]) => ({ ...fetchApi.defaultFetchTopic(), topic, partitions })),
    });
    if (response.errorCode !== ErrorCode.NONE) {
      return requests.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: response.errorCode, highWatermark: -1, logStartOffset: -1, records: null }));
    }
    const answered = new Map<string, fetchApi.PartitionData>();
    for (const topic of response.responses) {
      for (const partition of topic.partitions) answered.set(`${topic.topic}\0${partition.partitionIndex}`, partition);
    }
    return requests.map((request) => {
      const data = answered.get(`${request.topic}\0${request.partition}`);
      if (data === undefined) {
        throw new BrokerProtocolError(this.address, `broker ${this.address} left ${request.topic}-${request.partition} out of a Fetch response`);
      }
      return {
        topic: request.topic,
        partition: request.partition,
        errorCode: data.errorCode,
        highWatermark: data.highWatermark,
        logStartOffset: data.logStartOffset,
        records: wholeBatches(data.records),
      };
    });
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }> {
    const response = await this.client.listOffsets({
      replicaId: -1,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    const result = single(single(response.topics, 'ListOffsets', this.address).partitions, 'ListOffsets', this.address);
    return { errorCode: result.errorCode, offset: result.offset, timestamp: result.timestamp };
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const response = await this.client.deleteRecords({
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }],
      timeoutMs: this.client.requestTimeoutMs,
    });
    const result = single(single(response.topics, 'DeleteRecords', this.address).partitions, 'DeleteRecords', this.address);
    return { errorCode: result.errorCode, lowWatermark: result.lowWatermark };
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.client.close();
  }

  /** Offsets per partition from one ListOffsets request; partitions answering an error are left out. */
  /** Partition sizes on disk by DescribeLogDirs (summed over log dirs); empty when the broker refuses or lacks it. */
  private async partitionSizes(topic: string, partitions: number[]): Promise<Map<number, number>> {
    const sizes = new Map<number, number>();
    let response;
    try {
      response = await this.client.describeLogDirs({ topics: [{ topic, partitions }] });
    } catch {
      return sizes; // an older broker without the API, or a refused request: sizes stay unknown
    }
    if (response.errorCode !== ErrorCode.NONE) return sizes;
    for (const dir of response.results) {
      if (dir.errorCode !== ErrorCode.NONE) continue;
      for (const t of dir.topics) {
        if (t.name !== topic) continue;
        for (const p of t.partitions) if (!p.isFutureKey) sizes.set(p.partitionIndex, (sizes.get(p.partitionIndex) ?? 0) + p.partitionSize);
      }
    }
    return sizes;
  }

  private async listOffsets(topic: string, partitions: number[], timestamp: number): Promise<Map<number, number>> {
    const response = await this.client.listOffsets({
      replicaId: -1,
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
    });
    const offsets = new Map<number, number>();
    for (const t of response.topics) {
      for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) offsets.set(p.partitionIndex, p.offset);
    }
    return offsets;
  }

  /** One topic's configs: overrides only, or the effective set. Throws for an unknown topic. */
  private async topicConfigs(name: string, overridesOnly: boolean): Promise<Record<string, string>> {
    const configs = await this.describeTopicConfigs([name], overridesOnly);
    const found = configs.get(name);
    if (found === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    return found;
  }

  /** Configs of several topics in one DescribeConfigs; topics answering an error are left out. */
  private async describeTopicConfigs(names: string[], overridesOnly: boolean): Promise<Map<string, Record<string, string>>> {
    const result = new Map<string, Record<string, string>>();
    if (names.length === 0) return result;
    const response = await this.client.describeConfigs({
      resources: names.map((resourceName) => ({ resourceType: ConfigResourceType.TOPIC, resourceName, configurationKeys: null })),
    });
    for (const resource of response.results) {
      if (resource.errorCode !== ErrorCode.NONE) continue;
      const configs: Record<string, string> = {};
      for (const entry of resource.configs) {
        if (entry.value !== null && (!overridesOnly || isTopicOverride(entry))) configs[entry.name] = entry.value;
      }
      result.set(resource.resourceName, configs);
    }
    return result;
  }
}

/** auto.create.topics.enable and num.partitions from the broker's own config, when it says. */
async function brokerDefaults(client: KafkaClient): Promise<{ autoCreateTopics?: boolean; numPartitions?: number }> {
  if (!client.supports(describeConfigsApi)) return {};
  const metadata = await client.metadata({ topics: [], allowAutoTopicCreation: false });
  const nodeId = metadata.brokers[0]?.nodeId;
  if (nodeId === undefined) return {};
  const response = await client.describeConfigs({
    resources: [{
      resourceType: ConfigResourceType.BROKER,
      resourceName: String(nodeId),
      configurationKeys: ['auto.create.topics.enable', 'num.partitions'],
    }],
  });
  const resource = response.results[0];
  if (resource === undefined || resource.errorCode !== ErrorCode.NONE) return {};
  const value = (name: string): string | null | undefined => resource.configs.find((c) => c.name === name)?.value;
  const autoCreate = value('auto.create.topics.enable');
  const numPartitions = Number(value('num.partitions'));
  return {
    ...(autoCreate === 'true' || autoCreate === 'false' ? { autoCreateTopics: autoCreate === 'true' } : {}),
    ...(Number.isInteger(numPartitions) && numPartitions > 0 ? { numPartitions } : {}),
  };
}
