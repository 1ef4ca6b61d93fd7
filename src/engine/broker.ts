/**
 * The Broker: the API the Kafka server, the CLI, the embedded API and the group coordinator use.
 * Owns the data dir lock, the metadata log (topics, partition counts, config overrides) and one
 * PartitionHandle (worker + rings) per partition. Lives on the main thread; not thread-safe.
 * Admin operations run one at a time (a promise chain) so they never interleave half-done.
 *
 * Kafka error codes come back as data from produce/fetch/listOffset/deleteRecords; admin
 * operations throw KafkaCodeError with the code (STYLE.md, "Errors").
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { BrookError, InvalidConfigError, InvalidTopicError, KafkaCodeError } from '../common/errors.js';
import { RING_BYTES_DEFAULT } from '../common/limits.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { batchCrcMatches, checkBatchFraming } from '../protocol/record-batch.js';
import { lockDataDir } from '../storage/data-dir.js';
import { parseTopicConfigs, resolveLogConfig, topicConfigValues, type LogConfig } from '../storage/log-config.js';
import { parseBrokerConfigs, staticLayerFromTopicDefaults, topicDefaultsFrom, type BrokerConfigLayers, type BrokerConfigScope } from '../storage/broker-configs.js';
import { checkBatchHeader } from '../storage/log-validator.js';
import { ProduceValidation } from './produce-validation.js';
import { MetadataLog, type TopicMetadata } from '../storage/metadata-log.js';
import { partitionDirName, validateTopicName } from '../storage/topic-names.js';
import { PartitionHandle, produceError } from './partition-handle.js';
import { fetchWithLongPoll, readErrorCode, type FetchOptions } from './fetch.js';
import { loadClusterId } from './cluster-id.js';
import { coordinatorSettingsFromEnv, ensureOffsetsTopic, OFFSETS_TOPIC } from './coordinator-config.js';
import { GroupsService } from './coordinator-groups.js';
import { ProducerIdAllocator } from './producer-ids.js';
import type { BrokerOptions, FetchRequest, FetchResult, PartitionState, ProduceResult, TopicInfo } from './broker-types.js';

export type { BrokerOptions, FetchRequest, FetchResult, PartitionState, ProduceResult, TopicInfo } from './broker-types.js';

/** Kafka's internal topics: hidden from regex subscriptions, managed by the broker itself. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);
const TICK_INTERVAL_MS_DEFAULT = 100;

interface TopicEntry {
  metadata: TopicMetadata;
  config: LogConfig;
  partitions: PartitionHandle[];
}

/** Turns storage-layer validation errors into the Kafka codes admin callers expect. */
function asKafkaCodeError(err: unknown): unknown {
  if (err instanceof InvalidTopicError) return new KafkaCodeError(ErrorCode.INVALID_TOPIC_EXCEPTION, err.message);
  if (err instanceof InvalidConfigError) return new KafkaCodeError(ErrorCode.INVALID_CONFIG, err.message);
  return err;
}

export class Broker {
  readonly nodeId = 0;
  private readonly topicsByName = new Map<string, TopicEntry>();
  /** Broker-level configs (broker-configs.ts) and the topic defaults they make. */
  private brokerLayers: BrokerConfigLayers;
  private topicDefaults: Record<string, string>;
  /** Decompression, record checks and recompression of produces that need them. */
  private readonly produceValidation = new ProduceValidation();
  private adminChain: Promise<unknown> = Promise.resolve();
  private readonly closeListeners = new Set<() => void>();
  private closing: Promise<void> | null = null;
  /** The coordinator workers that own __consumer_offsets; null when opened with `groups: false`. */
  private groupsService: GroupsService | null = null;
  /** Opened on first use: a broker that never sees an idempotent producer writes no id file. */
  private producerIds: ProducerIdAllocator | null = null;

  private constructor(
    readonly dataDir: string,
    readonly clusterId: string,
    private readonly options: BrokerOptions,
    private readonly metadata: MetadataLog,
    private readonly unlock: () => void,
  ) {
    this.brokerLayers = { perBroker: metadata.brokerConfigs('0'), clusterDefault: metadata.brokerConfigs(''), static: staticLayerFromTopicDefaults(options.topicDefaults ?? {}) };
    this.topicDefaults = topicDefaultsFrom(this.brokerLayers);
  }

  /** Consumer groups (coordinator-groups.ts). Throws when the broker was opened with `groups: false`. */
  get groups(): GroupsService {
    if (this.groupsService === null) throw new BrookError('GROUPS_DISABLED', 'this broker was opened without consumer groups (groups: false)');
    return this.groupsService;
  }

  get hasGroups(): boolean {
    return this.groupsService !== null;
  }

  /** Locks the data dir, replays the metadata log and starts every partition's worker. */
  static async open(options: BrokerOptions): Promise<Broker> {
    const dataDir = path.resolve(options.dataDir);
    const unlock = lockDataDir(dataDir);
    let metadata: MetadataLog | null = null;
    try {
      staticLayerFromTopicDefaults(options.topicDefaults ?? {});
      metadata = MetadataLog.open(dataDir);
      const broker = new Broker(dataDir, loadClusterId(dataDir), options, metadata, unlock);
      // __consumer_offsets is owned by the coordinator workers, not by partition workers.
      const settings = coordinatorSettingsFromEnv();
      const offsetsTopic = ensureOffsetsTopic(metadata, settings.offsetsTopicPartitionCount);
      await Promise.all([...metadata.topics().values()].filter((t) => t.name !== OFFSETS_TOPIC).map((t) => broker.startTopic(t, false)));
      if (options.groups === false) return broker;
      broker.groupsService = await GroupsService.start({
        dataDir, offsetsTopic, workerCount: settings.workerCount, groupConfig: settings.groupConfig,
        topics: broker.partitionCounts(), tickIntervalMs: options.tickIntervalMs, faults: options.faults,
      }).catch(async (err: unknown) => {
        await Promise.all([...broker.topicsByName.values()].flatMap((e) => e.partitions).map((h) => h.shutdown(false)));
        throw err;
      });
      return broker;
    } catch (err) {
      metadata?.close();
      unlock();
      throw err;
    }
  }

  private async startTopic(metadata: TopicMetadata, fresh: boolean, fromPartition = 0): Promise<void> {
    let entry = this.topicsByName.get(metadata.name);
    if (entry === undefined) {
      entry = { metadata, config: resolveLogConfig(metadata.configs, this.topicDefaults), partitions: [] };
      this.topicsByName.set(metadata.name, entry);
    }
    entry.metadata = metadata;
    const started: Promise<void>[] = [];
    for (let p = fromPartition; p < metadata.partitionCount; p++) {
      const dir = path.join(this.dataDir, partitionDirName(metadata.name, p));
      // A new partition must not inherit files a crash left behind mid-deletion of an older topic.
      if (fresh) fs.rmSync(dir, { recursive: true, force: true });
      const handle = new PartitionHandle(metadata.name, p, dir, entry.config, this.options.ringBytes ?? RING_BYTES_DEFAULT, this.options.tickIntervalMs ?? TICK_INTERVAL_MS_DEFAULT, this.options.faults);
      entry.partitions[p] = handle;
      started.push(handle.start());
    }
    await Promise.all(started);
  }

  /** Runs admin operations one at a time, in call order. */
  private admin<T>(operation: () => Promise<T>): Promise<T> {
    this.assertOpen();
    // Coordinators learn the new partition counts before the caller hears back.
    const run = this.adminChain.then(operation, operation).finally(() => this.groupsService?.updateTopics(this.partitionCounts()));
    this.adminChain = run.catch(() => {});
    return run;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new BrookError('BROKER_CLOSED', 'the broker is closed');
  }

  /** Partition count per topic, for the group coordinators' topicExists. */
  private partitionCounts(): [string, number][] {
    return [...this.topicsByName].map(([name, entry]) => [name, entry.metadata.partitionCount]);
  }

  private existing(name: string): TopicEntry {
    const entry = this.topicsByName.get(name);
    if (entry === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    return entry;
  }

  createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    return this.admin(async () => {
      const configs = { ...(options.configs ?? {}) };
      try {
        validateTopicName(name);
        if (this.topicsByName.has(name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
        parseTopicConfigs(configs, this.topicDefaults);
        const metadata: TopicMetadata = { name, topicId: randomUUID(), partitionCount: options.partitions, configs };
        this.metadata.createTopic(metadata); // checks the partition count: INVALID_PARTITIONS
        await this.startTopic(metadata, true);
      } catch (err) {
        throw asKafkaCodeError(err);
      }
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      // Kafka refuses to delete internal topics through the admin API.
      if (name === OFFSETS_TOPIC) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `topic '${name}' is internal`);
      const entry = this.existing(name);
      // Metadata first: a crash before the files are gone leaves only garbage, which createTopic clears.
      this.metadata.deleteTopic(name);
      this.topicsByName.delete(name);
      await Promise.all(entry.partitions.map((handle) => handle.shutdown(true)));
      for (const handle of entry.partitions) fs.rmSync(handle.dir, { recursive: true, force: true });
    });
  }

  createPartitions(name: string, totalCount: number): Promise<void> {
    return this.admin(async () => {
      const entry = this.existing(name);
      const previousCount = entry.metadata.partitionCount;
      this.metadata.setPartitionCount(name, totalCount); // INVALID_PARTITIONS unless it grows
      await this.startTopic({ ...entry.metadata, partitionCount: totalCount }, true, previousCount);
    });
  }

  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void> {
    return this.admin(async () => {
      const entry = this.existing(name);
      const overrides = mode === 'replace' ? { ...configs } : { ...entry.metadata.configs, ...configs };
      let config: LogConfig;
      try {
        parseTopicConfigs(overrides, this.topicDefaults);
        config = resolveLogConfig(overrides, this.topicDefaults);
      } catch (err) {
        throw asKafkaCodeError(err);
      }
      this.metadata.setConfigs(name, overrides);
      entry.metadata = { ...entry.metadata, configs: overrides };
      entry.config = config;
      await Promise.all(entry.partitions.map((handle) => handle.updateConfig(config).catch(() => {})));
    });
  }

  topics(): TopicInfo[] {
    return [...this.topicsByName.keys()].sort().map((name) => this.topic(name)!);
  }

  topic(name: string): TopicInfo | undefined {
    const entry = this.topicsByName.get(name);
    if (entry === undefined) return undefined;
    const { topicId, partitionCount, configs } = entry.metadata;
    return { name, topicId, partitionCount, configs: { ...configs }, internal: INTERNAL_TOPICS.has(name) };
  }

  /** The effective config (broker defaults overlaid with the topic's overrides), Kafka names. */
  topicConfig(name: string): Record<string, string> {
    return topicConfigValues(this.existing(name).metadata.configs, this.topicDefaults);
  }

  /** The broker-level config layers DescribeConfigs reports (broker-configs.ts). */
  brokerConfigLayers(): BrokerConfigLayers {
    return this.brokerLayers;
  }

  /**
   * AlterConfigs on a broker resource: replaces the dynamic configs of this broker ("0") or of the
   * cluster default (""), durably, and gives every topic without its own override the new
   * defaults. Bad names or values: KafkaCodeError INVALID_CONFIG, nothing changed.
   */
  alterBrokerConfigs(scope: BrokerConfigScope, configs: Record<string, string>, validateOnly = false): Promise<void> {
    return this.admin(async () => {
      let layers: BrokerConfigLayers;
      let topicDefaults: Record<string, string>;
      try {
        const parsed = parseBrokerConfigs(configs);
        layers = scope === 'broker' ? { ...this.brokerLayers, perBroker: parsed } : { ...this.brokerLayers, clusterDefault: parsed };
        topicDefaults = topicDefaultsFrom(layers);
        topicConfigValues({}, topicDefaults); // e.g. log.roll.ms=0 would make segment.ms invalid
        for (const entry of this.topicsByName.values()) parseTopicConfigs(entry.metadata.configs, topicDefaults);
      } catch (err) {
        throw asKafkaCodeError(err);
      }
      if (validateOnly) return;
      this.metadata.setBrokerConfigs(scope === 'broker' ? String(this.nodeId) : '', scope === 'broker' ? layers.perBroker : layers.clusterDefault);
      this.brokerLayers = layers;
      this.topicDefaults = topicDefaults;
      const updates: Promise<unknown>[] = [];
      for (const entry of this.topicsByName.values()) {
        const config = resolveLogConfig(entry.metadata.configs, topicDefaults);
        if (JSON.stringify(config) === JSON.stringify(entry.config)) continue;
        entry.config = config;
        updates.push(...entry.partitions.map((handle) => handle.updateConfig(config).catch(() => {})));
      }
      await Promise.all(updates);
    });
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.partitionHandle(topic, partition)?.state.snapshot();
  }

  /** The handle of a partition, for the coordinator and tests (crash injection). */
  partitionHandle(topic: string, partition: number): PartitionHandle | undefined {
    return this.topicsByName.get(topic)?.partitions[partition];
  }

  /**
   * A fresh producer id with epoch 0 for an idempotent producer (Kafka's InitProducerId without a
   * transactional id). Ids come in durable blocks (producer-ids.ts) and never repeat across restarts.
   */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    this.assertOpen();
    this.producerIds ??= ProducerIdAllocator.open(this.dataDir);
    return { producerId: this.producerIds.allocate(), producerEpoch: 0 };
  }

  /**
   * Appends a produce's batches to a partition. `acks` is the request's: with acks=-1 (all) a
   * topic whose min.insync.replicas exceeds this host's single replica answers NOT_ENOUGH_REPLICAS
   * and writes nothing, as Kafka does when its in-sync replicas are too few.
   */
  produce(topic: string, partition: number, batches: Buffer, options: { acks?: number } = {}): Promise<ProduceResult> {
    if (this.closing !== null) return Promise.resolve(produceError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is closing'));
    // Kafka: "Cannot append to internal topic" (only the coordinators write __consumer_offsets).
    if (INTERNAL_TOPICS.has(topic)) return Promise.resolve(produceError(ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic}`));
    const entry = this.topicsByName.get(topic);
    const handle = entry?.partitions[partition];
    if (entry === undefined || handle === undefined) {
      return Promise.resolve(produceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`));
    }
    const invalid = validateBatches(batches, entry.config.maxMessageBytes, handle.maxProduceBytes);
    if (invalid !== null) return Promise.resolve(invalid);
    if (options.acks === -1 && entry.config.minInsyncReplicas > 1) {
      return Promise.resolve(produceError(ErrorCode.NOT_ENOUGH_REPLICAS, `min.insync.replicas is ${entry.config.minInsyncReplicas} but this broker is the only replica`));
    }
    // Recompression can change the size: the ring frame limit is checked again on the result.
    return this.produceValidation.produce(`${topic}\0${partition}`, batches, entry.config, (prepared) =>
      prepared.length > handle.maxProduceBytes
        ? Promise.resolve(produceError(ErrorCode.RECORD_LIST_TOO_LARGE, `${prepared.length} bytes after recompression exceed the partition ring's frame limit ${handle.maxProduceBytes}`))
        : handle.produce(prepared));
  }

  /**
   * Kafka fetch with long-poll (fetch.ts). Records are read into fresh buffers the caller may keep,
   * unless `options.buffers` is a ReadBufferPool: then the caller releases each result's records.
   */
  fetch(requests: FetchRequest[], options: FetchOptions): Promise<FetchResult[]> {
    return fetchWithLongPoll((t, p) => this.partitionHandle(t, p), requests, options, (wake) => {
      if (this.closing !== null) {
        // Closed (before this fetch, or while it read): its listener would never be called, and
        // the fetch answers NOT_LEADER_OR_FOLLOWER at once rather than reopen files (fetch.ts).
        wake();
        return () => {};
      }
      this.closeListeners.add(wake);
      return () => this.closeListeners.delete(wake);
    });
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }> {
    const handle = this.partitionHandle(topic, partition);
    if (handle === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 };
    const highWatermark = handle.state.get('highWatermark');
    const logStartOffset = handle.state.get('logStartOffset');
    if (timestamp === -1) return { errorCode: ErrorCode.NONE, offset: highWatermark, timestamp: -1 };
    if (timestamp === -2) return { errorCode: ErrorCode.NONE, offset: logStartOffset, timestamp: -1 };
    try {
      const found = handle.reader().offsetForTimestamp(timestamp, highWatermark);
      if (found === null) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1 };
      return { errorCode: ErrorCode.NONE, offset: Math.max(found.offset, logStartOffset), timestamp: found.timestamp };
    } catch (err) {
      return { errorCode: readErrorCode(err), offset: -1, timestamp: -1 };
    }
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const handle = this.partitionHandle(topic, partition);
    if (handle === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    if (offset !== -1 && (offset < 0 || offset > handle.state.get('highWatermark'))) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    }
    try {
      const lowWatermark = await handle.request<number>({ type: 'deleteRecords', offset });
      return { errorCode: ErrorCode.NONE, lowWatermark };
    } catch (err) {
      const code = (err as BrookError).code;
      if (code === 'OFFSET_OUT_OF_RANGE') return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
      if (code === 'WORKER_EXITED') return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    }
  }

  /** fsyncs every partition (after appending what is already in its ring). */
  async flush(): Promise<void> {
    this.assertOpen();
    const handles = [...this.topicsByName.values()].flatMap((e) => e.partitions).filter((h) => h.isOnline);
    await Promise.all(handles.map((h) => h.request({ type: 'flush' })));
  }

  /**
   * Stops taking produces, lets the rings drain, closes every log (flush, clean-shutdown marker),
   * stops the workers, closes the metadata log and releases the lock. Safe to call twice and from
   * a signal handler: later calls return the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    for (const wake of [...this.closeListeners]) wake();
    await this.adminChain;
    const handles = [...this.topicsByName.values()].flatMap((e) => e.partitions);
    try {
      await Promise.all([...handles.map((h) => h.shutdown(false)), this.groupsService?.close()]);
      await this.produceValidation.close();
    } finally {
      this.metadata.close();
      this.unlock();
    }
  }
}

/**
 * Checks what a produce request carries for one partition before it reaches the ring: whole v2
 * batches end to end, each within max.message.bytes, all of them in one frame. The CRCs are
 * checked by the partition worker (PartitionLog.append, before it writes anything): a pass over
 * every byte, which would otherwise serialize every partition's produce on this thread.
 */
function validateBatches(batches: Buffer, maxMessageBytes: number, maxFrameBytes: number): ProduceResult | null {
  if (batches.length === 0) return produceError(ErrorCode.CORRUPT_MESSAGE, 'no record batch');
  if (batches.length > maxFrameBytes) return produceError(ErrorCode.RECORD_LIST_TOO_LARGE, `${batches.length} bytes exceed the partition ring's frame limit ${maxFrameBytes}`);
  let pos = 0;
  while (pos < batches.length) {
    const checked = checkBatchFraming(batches, pos);
    if ('reason' in checked) {
      const batchLength = batches.length - pos >= 12 ? batches.readInt32BE(pos + 8) + 12 : 0;
      if (batchLength > maxMessageBytes) return produceError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${batchLength} bytes exceeds max.message.bytes ${maxMessageBytes}`);
      return produceError(checked.errorCode, `record batch at byte ${pos}: ${checked.reason}`);
    }
    if (checked.sizeBytes > maxMessageBytes) return produceError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${checked.sizeBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    // Kafka's header checks (recordsCount = lastOffsetDelta + 1, ...) are a few reads, so here, with
    // a message. Kafka checks the CRC first: a batch that fails both is CORRUPT_MESSAGE.
    const header = checkBatchHeader(batches, pos);
    if (header !== null) {
      if (!batchCrcMatches(batches, pos, checked.sizeBytes)) return produceError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${pos}: CRC mismatch`);
      return produceError(header.errorCode, `record batch at byte ${pos}: ${header.errorMessage}`);
    }
    pos += checked.sizeBytes;
  }
  return null;
}
