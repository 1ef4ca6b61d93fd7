/**
 * The part of the engine's Broker (src/engine/broker.ts) that the Kafka server calls, written as
 * an interface so the server depends on the contract, not on the engine's internals. The real
 * Broker satisfies it structurally.
 */
import type { FetchByteBudget } from '../engine/fetch.js';

export interface TopicInfo {
  name: string;
  topicId: string;
  partitionCount: number;
  configs: Record<string, string>;
  internal: boolean;
}

export interface PartitionState {
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segmentCount: number;
}

export interface ProduceResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
}

export interface BrokerApi {
  readonly clusterId: string;
  readonly nodeId: number;
  createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, totalCount: number): Promise<void>;
  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void>;
  topics(): TopicInfo[];
  topic(name: string): TopicInfo | undefined;
  topicConfig(name: string): Record<string, string>;
  partitionState(topic: string, partition: number): PartitionState | undefined;
  produce(topic: string, partition: number, batches: Buffer): Promise<ProduceResult>;
  fetch(
    requests: FetchPartitionRequest[],
    options: { maxWaitMs: number; minBytes: number; maxBytes: number; budget?: FetchByteBudget },
  ): Promise<FetchPartitionResult[]>;
  listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }>;
  deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }>;
  close(): Promise<void>;
}
