/**
 * The Broker: the API the Kafka server, the CLI, the embedded API and the group coordinator use.
 * Owns the data dir lock, the metadata log (topics, partition counts, config overrides), the
 * partition workers (a fixed few, each owning many partitions) and one Partition per partition.
 * Lives on the main thread; not thread-safe. Admin operations run one at a time (a promise chain)
 * so they never interleave half-done.
 *
 * Partitions open lazily (partition/partition.ts): `openPartitions` says whether Broker.open waits
 * for all of them ('all'), opens them in the background after it returns ('background', `brook
 * serve`), or opens each only on first use ('lazy', CLI commands that need a few).
 *
 * Kafka error codes come back as data from produce/fetch/listOffset/deleteRecords; admin
 * operations throw KafkaCodeError with the code (STYLE.md, "Errors").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrookError, InvalidConfigError } from '../common/errors.js';
import { RING_BYTES_DEFAULT } from '../common/limits.js';
import { kafkaCodeFor } from '../common/error-table.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { lockDataDir } from '../storage/data-dir.js';
import { diskFullMessage } from '../storage/disk-space.js';
import { staticLayerFromTopicDefaults, type BrokerConfigLayers, type BrokerConfigScope } from '../storage/broker-configs.js';
import { MetadataLog } from '../storage/metadata-log.js';
import { Partition } from './partition/partition.js';
import { PartitionCensus } from './partition/partition-census.js';
import { PartitionWorkers } from './partition/partition-workers.js';
import { produceError } from './partition/worker-handle.js';
import { validateBatches } from './produce-checks.js';
import { ProduceValidation } from './produce-validation.js';
import type { PartitionWorkerHandle } from './partition/worker-handle.js';
import type { WorkerCounters } from './partition/worker-control.js';
import { fetchWithLongPoll, readErrorCode, type FetchOptions } from './fetch.js';
import { loadClusterId } from './cluster-id.js';
import { COORDINATOR_SETTINGS_DEFAULT, ensureOffsetsTopic, OFFSETS_TOPIC } from './coordinator/coordinator-config.js';
import { GroupsService } from './coordinator/coordinator-groups.js';
import { ProducerIdAllocator } from './producer-ids.js';
import { descriptorBudgets } from './descriptor-budget.js';
import { FdCache } from '../storage/fd-cache.js';
import type { SecurityMetadataStore } from '../storage/metadata-security.js';
import type { ActiveProducer, BrokerOptions, NewTopic, FetchRequest, FetchResult, PartitionState, ProduceResult, Readiness, TopicInfo, WorkerStats } from './broker-types.js';
import { INTERNAL_TOPICS, TopicTable } from './topic-table.js';

export type { ActiveProducer, BrokerOptions, FetchRequest, FetchResult, PartitionState, ProduceResult, Readiness, TopicInfo, WorkerStats } from './broker-types.js';
import { countRecords, TrafficCounters } from '../metrics/traffic.js';

/** Partitions opened per step of a background open: each step is one message per worker. */
const OPEN_CHUNK_PARTITIONS = 512;
/** Offline partitions logged one by one; a worker lost for good takes thousands offline at once. */
const OFFLINE_LOG_LINES_MAX = 20;
/** Offline partitions /readyz names (it counts them all). */
const OFFLINE_REASONS_SHOWN = 5;

/** A KAFKA_STORAGE_ERROR answer on a full disk says so (storage/disk-space.ts). */
function explainStorageError(result: ProduceResult, dataDir: string, appendBytes: number): ProduceResult {
  if (result.errorCode !== ErrorCode.KAFKA_STORAGE_ERROR) return result;
  const message = diskFullMessage(dataDir, appendBytes);
  return message === null ? result : { ...result, errorMessage: message };
}

export class Broker {
  readonly nodeId = 0;
  /** Records and bytes in/out per partition, counted where produce and fetch results pass (metrics, console). */
  readonly traffic = new TrafficCounters();
  /** Topics, their configs and Partition objects, and the broker config layers (topic-table.ts). */
  private readonly table: TopicTable;
  /** Decompression, record checks and recompression of produces that need them. */
  private readonly produceValidation = new ProduceValidation();
  private adminChain: Promise<unknown> = Promise.resolve();
  private readonly closeListeners = new Set<() => void>();
  private closing: Promise<void> | null = null;
  /** The coordinator workers that own __consumer_offsets; null when opened with `groups: false`. */
  private groupsService: GroupsService | null = null;
  /** Opened on first use: a broker that never sees an idempotent producer writes no id file. */
  private producerIds: ProducerIdAllocator | null = null;
  /** Settles when the start-up opening of every partition is done ('all' and 'background'). */
  private openingAll: Promise<void> = Promise.resolve();
  private openedAll: boolean;
  /** Partitions per status, kept as they change: readiness() walks no partition list. */
  private readonly census = new PartitionCensus((partition) => this.reportOffline(partition));
  private offlineLogged = 0;

  private constructor(
    readonly dataDir: string,
    readonly clusterId: string,
    private readonly options: BrokerOptions,
    private readonly metadata: MetadataLog,
    private readonly workers: PartitionWorkers,
    private readonly unlock: () => void,
    /** The main thread's share of the descriptor budget, for the partitions' LogReaders. */
    private readonly readerFiles: FdCache,
  ) {
    this.table = new TopicTable(dataDir, metadata, options.topicDefaults ?? {},
      (topic, partition, dir, config, fresh) => new Partition(topic, partition, dir, config, workers.assign, readerFiles, fresh, this.census));
    this.openedAll = (options.openPartitions ?? 'all') === 'lazy';
  }

  /** Consumer groups (coordinator-groups.ts). Throws when the broker was opened with `groups: false`. */
  get groups(): GroupsService {
    if (this.groupsService === null) throw new BrookError('GROUPS_DISABLED', 'this broker was opened without consumer groups (groups: false)');
    return this.groupsService;
  }

  get hasGroups(): boolean {
    return this.groupsService !== null;
  }

  /** Locks the data dir, replays the metadata log, starts the workers and opens partitions as `openPartitions` says. */
  static async open(options: BrokerOptions): Promise<Broker> {
    const dataDir = path.resolve(options.dataDir);
    const unlock = lockDataDir(dataDir);
    let metadata: MetadataLog | null = null;
    let workers: PartitionWorkers | null = null;
    try {
      staticLayerFromTopicDefaults(options.topicDefaults ?? {});
      metadata = MetadataLog.open(dataDir);
      const workerCount = options.workers ?? os.availableParallelism();
      if (!Number.isSafeInteger(workerCount) || workerCount < 1) throw new InvalidConfigError(`workers=${workerCount} is not a positive integer`);
      const budgets = descriptorBudgets(workerCount, options.openFilesLimit);
      const lazy = options.openPartitions === 'lazy';
      workers = await PartitionWorkers.start({
        workerCount,
        ringBytes: options.ringBytes ?? RING_BYTES_DEFAULT,
        descriptorBudgetPerWorker: budgets.perWorker,
        ...(options.faults === undefined ? {} : { faults: options.faults }),
      }, lazy);
      const broker = new Broker(dataDir, loadClusterId(dataDir), options, metadata, workers, unlock, new FdCache(budgets.mainThread));
      // __consumer_offsets is owned by the coordinator workers, not by partition workers.
      const settings = { ...COORDINATOR_SETTINGS_DEFAULT, ...options.coordinators, groupConfig: { ...options.coordinators?.groupConfig } };
      const offsetsTopic = ensureOffsetsTopic(metadata, settings.offsetsTopicPartitionCount);
      for (const topic of metadata.topics().values()) if (topic.name !== OFFSETS_TOPIC) broker.table.add(topic, false);
      if (options.groups !== false) {
        // Lazily opened brokers (CLI commands) start the coordinator threads on the first group call.
        broker.groupsService = await GroupsService.start({
          dataDir, offsetsTopic, workerCount: settings.workerCount, groupConfig: settings.groupConfig,
          topics: broker.table.partitionCounts(), tickIntervalMs: options.tickIntervalMs, faults: options.faults,
        }, lazy).catch(async (err: unknown) => {
          await workers!.close();
          throw err;
        });
      }
      const mode = options.openPartitions ?? 'all';
      if (mode !== 'lazy') {
        broker.openingAll = broker.openEveryPartition();
        if (mode === 'all') await broker.openingAll;
      }
      return broker;
    } catch (err) {
      metadata?.close();
      unlock();
      throw err;
    }
  }

  /**
   * Opens every partition, a chunk at a time (each chunk is one message per worker and is answered
   * as a whole), so produces and fetches to partitions of later chunks open theirs on demand
   * meanwhile. A partition that fails to open goes offline alone (the census logs it and readiness
   * stays false).
   */
  private async openEveryPartition(): Promise<void> {
    const all = this.table.allPartitions();
    for (let i = 0; i < all.length && this.closing === null; i += OPEN_CHUNK_PARTITIONS) {
      await Promise.all(all.slice(i, i + OPEN_CHUNK_PARTITIONS).map((p) => p.ensureOpen().catch(() => {})));
    }
    this.openedAll = true;
  }

  /**
   * Ready once start-up opening (and recovery) of every partition is done and none is offline (a
   * failed open, a worker lost for good): an orchestrator should not route to a broker that cannot
   * serve some of its partitions. Always done with 'lazy'. O(1): the census counts as they change.
   */
  readiness(): Readiness {
    const partitionsOpen = this.census.count('open');
    const partitionsTotal = this.census.partitionCount;
    const partitionsOffline = this.census.count('offline');
    const readiness: Readiness = { ready: this.openedAll && partitionsOffline === 0, partitionsOpen, partitionsTotal, partitionsOffline };
    if (partitionsOffline > 0) {
      const shown = this.census.offlineReasons(OFFLINE_REASONS_SHOWN);
      const more = partitionsOffline - shown.length;
      readiness.reason = `${partitionsOffline} partition(s) offline: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
    } else if (!this.openedAll) {
      readiness.reason = `opening partitions (and recovering their logs): ${partitionsOpen} of ${partitionsTotal} open`;
    }
    return readiness;
  }

  /** Logs a partition that went offline (the first OFFLINE_LOG_LINES_MAX; /readyz counts every one). */
  private reportOffline(partition: Partition): void {
    if (this.offlineLogged > OFFLINE_LOG_LINES_MAX) return;
    const log = this.options.log ?? ((line: string) => void process.stderr.write(`brook: ${line}\n`));
    log(this.offlineLogged < OFFLINE_LOG_LINES_MAX ? partition.offlineReason : 'more partitions went offline: not logged one by one (see /readyz and brook_partitions_offline)');
    this.offlineLogged++;
  }

  /** Resolves when start-up opening is done (at once with 'lazy'). */
  whenOpened(): Promise<void> {
    return this.openingAll;
  }

  /** Runs admin operations one at a time, in call order. */
  private admin<T>(operation: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const run = this.adminChain.then(operation, operation);
    this.adminChain = run.catch(() => {});
    return run;
  }

  /** Tells the group coordinators of partition count changes (0 = deleted) before the caller hears back. */
  private topicsChanged(changes: [string, number][]): void {
    this.groupsService?.updateTopics(changes);
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new BrookError('BROKER_CLOSED', 'the broker is closed');
  }

  /**
   * Creates a topic and opens its partitions on the workers (batched: one message per worker). A
   * partition that fails to open goes offline; the topic exists either way, as in Kafka.
   */
  async createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    const [error] = await this.createTopics([{ name, ...options }]);
    if (error !== null && error !== undefined) throw error;
  }

  /**
   * Creates every valid topic of the list, then opens all their partitions together; answers per
   * topic null or the KafkaCodeError that refused it. Group commit: the topics of every call made
   * while an earlier admin operation runs go into ONE metadata-log record (one fsync for 100
   * concurrent CreateTopics), and the partitions open outside the admin queue, so one request's
   * opens never hold up the next request's commit.
   */
  async createTopics(topics: NewTopic[]): Promise<(Error | null)[]> {
    this.assertOpen();
    const committed = new Promise<{ errors: (Error | null)[]; added: Partition[] }>((resolve, reject) => {
      this.pendingCreates.push({ topics, resolve, reject });
      if (this.pendingCreates.length === 1) void this.admin(async () => this.commitPendingCreates());
    });
    const { errors, added } = await committed;
    await Promise.all(added.map((p) => p.ensureOpen().catch(() => {})));
    return errors;
  }

  private pendingCreates: { topics: NewTopic[]; resolve(result: { errors: (Error | null)[]; added: Partition[] }): void; reject(err: unknown): void }[] = [];

  private commitPendingCreates(): void {
    const calls = this.pendingCreates.splice(0);
    try {
      this.commitCreates(calls);
    } catch (err) {
      for (const call of calls) call.reject(err); // a call already resolved ignores this
    }
  }

  private commitCreates(calls: Broker['pendingCreates']): void {
    const { errors, accepted, added } = this.table.create(calls.map((call) => call.topics));
    if (accepted.length > 0) this.topicsChanged(accepted.map((m) => [m.name, m.partitionCount]));
    calls.forEach((call, i) => call.resolve({
      errors: errors[i]!,
      added: call.topics.flatMap((topic, j) => (errors[i]![j] === null ? added.get(topic.name) ?? [] : [])),
    }));
  }

  async deleteTopic(name: string): Promise<void> {
    const [error] = await this.deleteTopics([name]);
    if (error !== null && error !== undefined) throw error;
  }

  /**
   * Deletes every existing topic of the list with ONE metadata-log record (one fsync), then closes
   * and removes all their partitions together; answers per topic null or the error that refused it.
   */
  deleteTopics(names: string[]): Promise<(Error | null)[]> {
    return this.admin(async () => {
      const { errors, deleted, partitions } = this.table.delete(names);
      if (deleted.length === 0) return errors;
      for (const name of deleted) this.traffic.forget(name);
      this.topicsChanged(deleted.map((name) => [name, 0]));
      await Promise.all(partitions.map((partition) => partition.close(true)));
      await Promise.all(partitions.map((partition) => fs.promises.rm(partition.dir, { recursive: true, force: true })));
      return errors;
    });
  }

  createPartitions(name: string, totalCount: number): Promise<void> {
    return this.admin(async () => {
      const added = this.table.grow(name, totalCount);
      this.topicsChanged([[name, totalCount]]);
      return added;
    }).then((added) => Promise.all(added.map((p) => p.ensureOpen().catch(() => {})))).then(() => {});
  }

  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void> {
    return this.admin(async () => {
      const { partitions, config } = this.table.alterConfigs(name, configs, mode);
      await Promise.all(partitions.map((partition) => partition.updateConfig(config).catch(() => {})));
    });
  }

  topics(): TopicInfo[] {
    return this.table.list();
  }

  topic(name: string): TopicInfo | undefined {
    return this.table.info(name);
  }

  /** ACLs and SCRAM credentials kept in the metadata log (CreateAcls, AlterUserScramCredentials). */
  get securityMetadata(): SecurityMetadataStore {
    return this.metadata;
  }

  /** The effective config (broker defaults overlaid with the topic's overrides), Kafka names. */
  topicConfig(name: string): Record<string, string> {
    return this.table.topicConfig(name);
  }

  /** The broker-level config layers DescribeConfigs reports (broker-configs.ts). */
  brokerConfigLayers(): BrokerConfigLayers {
    return this.table.brokerConfigLayers();
  }

  /**
   * AlterConfigs on a broker resource: replaces the dynamic configs of this broker ("0") or of the
   * cluster default (""), durably, and gives every topic without its own override the new
   * defaults. Bad names or values: KafkaCodeError INVALID_CONFIG, nothing changed.
   */
  alterBrokerConfigs(scope: BrokerConfigScope, configs: Record<string, string>, validateOnly = false): Promise<void> {
    return this.admin(async () => {
      const changed = this.table.alterBrokerConfigs(this.nodeId, scope, configs, validateOnly);
      await Promise.all(changed.map(({ partition, config }) => partition.updateConfig(config).catch(() => {})));
    });
  }

  /** The published state of an open partition; undefined for an unknown partition or one not opened yet (see loadPartitionState). */
  partitionState(topic: string, partition: number): PartitionState | undefined {
    const found = this.partition(topic, partition);
    return found?.isOpen ? found.snapshot() : undefined;
  }

  /** DescribeProducers: the idempotent producers a partition remembers (undefined: no partition). */
  async activeProducers(topic: string, partition: number): Promise<ActiveProducer[] | undefined> {
    return this.partition(topic, partition)?.activeProducers();
  }

  /** A partition's state, opening it first if needed; undefined for an unknown or offline partition. */
  async loadPartitionState(topic: string, partition: number): Promise<PartitionState | undefined> {
    const found = this.partition(topic, partition);
    if (found === undefined) return undefined;
    try {
      await found.ensureOpen();
    } catch {
      return undefined;
    }
    return found.snapshot();
  }

  private partition(topic: string, partition: number): Partition | undefined {
    return this.table.partition(topic, partition);
  }

  /** The partition worker holding a partition (tests: crash and fault injection); undefined unless it is open. */
  workerOf(topic: string, partition: number): PartitionWorkerHandle | undefined {
    return this.partition(topic, partition)?.worker ?? undefined;
  }

  /** Produces of one partition queued or in flight (tests). */
  pendingProduceCount(topic: string, partition: number): number {
    return this.partition(topic, partition)?.pendingProduceCount ?? 0;
  }

  /** What each worker is doing, for metrics and `brook top`. */
  workerStats(): WorkerStats[] {
    return [...this.workers.stats(), ...(this.groupsService?.stats() ?? [])];
  }

  /** The partition workers' shared counters (tests tell an idle worker from a polling one with them). */
  workerCounters(): WorkerCounters[] {
    return this.workers.counters();
  }

  get partitionWorkerCount(): number {
    return this.workers.count;
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
    const entry = this.table.get(topic);
    const target = entry?.partitions[partition];
    if (entry === undefined || target === undefined) {
      return Promise.resolve(produceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`));
    }
    const maxFrameBytes = this.workers.maxProduceBytes;
    const invalid = validateBatches(batches, entry.config.maxMessageBytes, maxFrameBytes);
    if (invalid !== null) return Promise.resolve(invalid);
    if (options.acks === -1 && entry.config.minInsyncReplicas > 1) {
      return Promise.resolve(produceError(ErrorCode.NOT_ENOUGH_REPLICAS, `min.insync.replicas is ${entry.config.minInsyncReplicas} but this broker is the only replica`));
    }
    // Counted before the append (the caller may reuse `batches` once answered), added on success.
    const recordCount = countRecords(batches);
    // Recompression can change the size: the ring frame limit is checked again on the result.
    return this.produceValidation.produce(`${topic}\0${partition}`, batches, entry.config, (prepared) =>
      prepared.length > maxFrameBytes
        ? Promise.resolve(produceError(ErrorCode.RECORD_LIST_TOO_LARGE, `${prepared.length} bytes after recompression exceed the ring's frame limit ${maxFrameBytes}`))
        : target.produce(prepared)).then((result) => {
      if (result.errorCode === ErrorCode.NONE) this.traffic.produced(topic, partition, recordCount, batches.length);
      return explainStorageError(result, this.dataDir, batches.length);
    });
  }

  /**
   * Kafka fetch with long-poll (fetch.ts). Records are read into fresh buffers the caller may keep,
   * unless `options.buffers` is a ReadBufferPool: then the caller releases each result's records.
   * Partitions not open yet are opened first.
   */
  async fetch(requests: FetchRequest[], options: FetchOptions): Promise<FetchResult[]> {
    const results = await this.fetchAndWait(requests, options);
    // Counted here, where every fetch result passes (metrics, console, brook top).
    this.traffic.fetched(results);
    return results;
  }

  private async fetchAndWait(requests: FetchRequest[], options: FetchOptions): Promise<FetchResult[]> {
    const opening: Promise<void>[] = [];
    for (const request of requests) {
      const found = this.partition(request.topic, request.partition);
      if (found !== undefined && found.status !== 'open' && found.status !== 'offline') opening.push(found.ensureOpen().catch(() => {}));
    }
    if (opening.length > 0) await Promise.all(opening);
    return fetchWithLongPoll((t, p) => this.partition(t, p), requests, options, (wake) => {
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

  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number; errorMessage?: string }> {
    const found = this.partition(topic, partition);
    if (found === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 };
    try {
      await found.ensureOpen();
    } catch (err) {
      // Why it cannot be opened (too many open files, a read-only disk) is worth telling a caller.
      return { errorCode: readErrorCode(err), offset: -1, timestamp: -1, errorMessage: (err as Error).message };
    }
    const highWatermark = found.state.get('highWatermark');
    const logStartOffset = found.state.get('logStartOffset');
    if (timestamp === -1) return { errorCode: ErrorCode.NONE, offset: highWatermark, timestamp: -1 };
    if (timestamp === -2) return { errorCode: ErrorCode.NONE, offset: logStartOffset, timestamp: -1 };
    try {
      const result = found.reader().offsetForTimestamp(timestamp, highWatermark);
      if (result === null) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1 };
      return { errorCode: ErrorCode.NONE, offset: Math.max(result.offset, logStartOffset), timestamp: result.timestamp };
    } catch (err) {
      return { errorCode: readErrorCode(err), offset: -1, timestamp: -1 };
    }
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const found = this.partition(topic, partition);
    if (found === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    try {
      await found.ensureOpen();
      if (offset !== -1 && (offset < 0 || offset > found.state.get('highWatermark'))) {
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
      }
      return { errorCode: ErrorCode.NONE, lowWatermark: await found.deleteRecords(offset) };
    } catch (err) {
      return { errorCode: kafkaCodeFor(err, 'partition'), lowWatermark: -1 };
    }
  }

  /** fsyncs every open partition (after appending what is already queued). */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.workers.flush();
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
    await this.openingAll.catch(() => {});
    try {
      await Promise.all([this.workers.close(), this.groupsService?.close()]);
      await this.produceValidation.close();
    } finally {
      for (const partition of this.table.allPartitions()) partition.markClosed();
      this.metadata.close();
      this.unlock();
    }
  }
}
