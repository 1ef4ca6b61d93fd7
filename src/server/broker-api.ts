/**
 * The part of the engine's Broker (src/engine/broker.ts) that the Kafka server calls, written as
 * an interface so the server depends on the contract, not on the engine's internals. The real
 * Broker satisfies it structurally. The value types are the engine's own (broker-types.ts).
 */
import type { FetchByteBudget } from '../engine/fetch.js';
import type { ReadBuffers } from '../storage/read-buffers.js';
import type { BrokerConfigLayers, BrokerConfigScope } from '../storage/broker-configs.js';
import type { SecurityMetadataStore } from '../storage/metadata-security.js';
import type { ActiveProducer, FetchRequest, FetchResult, PartitionState, ProduceResult, TopicInfo } from '../engine/broker-types.js';

export type {
  TopicInfo,
  PartitionState,
  ProduceResult,
  FetchRequest as FetchPartitionRequest,
  FetchResult as FetchPartitionResult,
} from '../engine/broker-types.js';

export interface BrokerApi {
  readonly clusterId: string;
  readonly nodeId: number;
  createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void>;
  /** Creates several topics with one metadata-log record; per topic null or the error that refused it. */
  createTopics(topics: { name: string; partitions: number; configs?: Record<string, string> }[]): Promise<(Error | null)[]>;
  deleteTopic(name: string): Promise<void>;
  /** Deletes several topics with one metadata-log record; per topic null or the error that refused it. */
  deleteTopics(names: string[]): Promise<(Error | null)[]>;
  createPartitions(name: string, totalCount: number): Promise<void>;
  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void>;
  topics(): TopicInfo[];
  topic(name: string): TopicInfo | undefined;
  topicConfig(name: string): Record<string, string>;
  /** Broker-level configs by layer (dynamic per broker, dynamic cluster default, static). */
  brokerConfigLayers(): BrokerConfigLayers;
  /** Replaces the dynamic configs of broker resource "0" ('broker') or "" ('default'); INVALID_CONFIG on bad input. */
  alterBrokerConfigs(scope: BrokerConfigScope, configs: Record<string, string>, validateOnly?: boolean): Promise<void>;
  partitionState(topic: string, partition: number): PartitionState | undefined;
  /** `acks` is the request's (min.insync.replicas applies to acks=-1). */
  produce(topic: string, partition: number, batches: Buffer, options?: { acks?: number }): Promise<ProduceResult>;
  /** A fresh producerId (epoch 0) for InitProducerId; ids never repeat across restarts. */
  initProducerId(): Promise<{ producerId: number; producerEpoch: number }>;
  fetch(
    requests: FetchRequest[],
    options: { maxWaitMs: number; minBytes: number; maxBytes: number; budget?: FetchByteBudget; buffers?: ReadBuffers },
  ): Promise<FetchResult[]>;
  listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }>;
  deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }>;
  /** DescribeProducers; undefined for an unknown partition. */
  activeProducers(topic: string, partition: number): Promise<ActiveProducer[] | undefined>;
  /** ACLs and SCRAM credentials kept in the metadata log (absent: the ACL/SCRAM APIs cannot store). */
  readonly securityMetadata?: SecurityMetadataStore;
  close(): Promise<void>;
}
