/** The public types of the Broker API (broker.ts re-exports them). */
import type { FaultSpec } from './fault-injection.js';

export interface BrokerOptions {
  dataDir: string;
  /** Broker-wide defaults for topic configs, Kafka names ("retention.ms": "1000", ...). */
  topicDefaults?: Record<string, string>;
  /** Per-partition produce ring, default RING_BYTES_DEFAULT. */
  ringBytes?: number;
  /** How often each partition worker runs PartitionLog.tick() (flush.ms, segment.ms, retention). Default 100. */
  tickIntervalMs?: number;
  /** Tests only: workers open their logs through a seeded FaultyIo and accept `faults` commands. */
  faults?: FaultSpec;
  /**
   * false: do not start the coordinator workers (no consumer groups, `broker.groups` stays unset)
   * for a process that only reads or writes partitions, e.g. `brook consume` without --group,
   * which then starts ~200 ms sooner. Default true.
   */
  groups?: boolean;
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
