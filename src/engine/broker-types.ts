/** The public types of the Broker API (broker.ts re-exports them). */
import type { FaultSpec } from './fault-injection.js';
import type { CoordinatorSettings } from './coordinator/coordinator-config.js';

export interface BrokerOptions {
  dataDir: string;
  /** Broker-wide defaults for topic configs, Kafka names ("retention.ms": "1000", ...). */
  topicDefaults?: Record<string, string>;
  /** Partition worker threads, each owning many partitions. Default: os.availableParallelism(). */
  workers?: number;
  /**
   * The open-files limit the engine shares among its threads (descriptor-budget.ts). Default: the
   * process's RLIMIT_NOFILE. Lower it to keep Brook's share of a process small.
   */
  openFilesLimit?: number;
  /** Each partition worker's produce ring, default RING_BYTES_DEFAULT. */
  ringBytes?: number;
  /**
   * When partitions open: 'all' (default) before Broker.open resolves; 'background' after it
   * resolves (brook serve: listening at once, readiness() says when done); 'lazy' on first use.
   */
  openPartitions?: 'all' | 'background' | 'lazy';
  /** How often the coordinator workers run their timers (heartbeats, rebalances). Default 100. */
  tickIntervalMs?: number;
  /** Group coordinator settings (the CLI and `brook serve` read them from BROOK_* variables). */
  coordinators?: Partial<CoordinatorSettings>;
  /** Tests only: workers open their logs through a seeded FaultyIo and accept `faults` commands. */
  faults?: FaultSpec;
  /**
   * false: do not start the coordinator workers (no consumer groups, `broker.groups` stays unset)
   * for a process that only reads or writes partitions, e.g. `brook consume` without --group,
   * which then starts ~200 ms sooner. Default true.
   */
  groups?: boolean;
  /** Where the broker reports what an operator must hear (a partition gone offline). Default: stderr, `brook: <line>`. */
  log?: (line: string) => void;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitionCount: number;
  configs: Record<string, string>;
  internal: boolean;
  /** Leader epoch of every partition (KIP-320): 0, plus one per earlier topic of the same name. */
  leaderEpoch: number;
}

export interface PartitionState {
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segmentCount: number;
}

/** An idempotent producer a partition remembers (DescribeProducers). */
export interface ActiveProducer {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
}

export interface ProduceResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export interface FetchRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchResult {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
}

/** Whether start-up opening and recovery of the partitions has finished with none offline (`/readyz`). */
export interface Readiness {
  ready: boolean;
  partitionsOpen: number;
  partitionsTotal: number;
  /** Partitions that cannot serve: their open failed, or their worker is gone for good. */
  partitionsOffline: number;
  /** Why not ready (absent when ready). */
  reason?: string;
}

/** What one worker thread is doing, for metrics and `brook top`. */
export interface WorkerStats {
  kind: 'partition' | 'coordinator';
  index: number;
  /** Partitions it holds open (coordinators: __consumer_offsets partitions). */
  partitionCount: number;
  ringUsedBytes: number;
  ringCapacityBytes: number;
  /** Produces queued for its ring or being appended (coordinators: 0). */
  queuedProduceCount: number;
  restartCount: number;
}

/** A topic to create: Broker.createTopics. */
export interface NewTopic {
  name: string;
  partitions: number;
  /** Kafka topic config overrides. */
  configs?: Record<string, string>;
}
