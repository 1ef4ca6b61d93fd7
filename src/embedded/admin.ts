/**
 * Topic administration for the embedded API, over any BrookBackend. Errors are thrown: a
 * KafkaCodeError with Kafka's errorCode (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, ...), or a
 * BrookError for bad configs and invalid names.
 */
import type { BrookBackend, TopicDescription, TopicDetails } from './backend.js';
import { KafkaError, unknownTopicError } from './kafka-error.js';

export interface CreateTopicOptions {
  /** Default: the backend's num.partitions (1 unless Brook.open set numPartitions). */
  partitions?: number;
  /** Topic configs by Kafka name, e.g. { 'retention.ms': '86400000' }. */
  configs?: Record<string, string>;
}

export class Admin {
  constructor(private readonly backend: BrookBackend) {}

  createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    return this.backend.createTopic(name, {
      partitions: options.partitions ?? this.backend.numPartitions,
      configs: options.configs ?? {},
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.backend.deleteTopic(name);
  }

  /** Topics sorted by name; internal topics (e.g. __consumer_offsets) only when asked. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<TopicDescription[]> {
    const topics = await this.backend.listTopics();
    return topics.filter((t) => options.includeInternal || !t.internal).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The topic with per-partition offsets and sizes; throws UNKNOWN_TOPIC_OR_PARTITION if absent. */
  async describeTopic(name: string): Promise<TopicDetails> {
    const details = await this.backend.describeTopic(name);
    if (details === undefined) throw unknownTopicError(name);
    return details;
  }

  /** Grows the topic to `totalCount` partitions (Kafka never shrinks a topic). */
  createPartitions(name: string, totalCount: number): Promise<void> {
    return this.backend.createPartitions(name, totalCount);
  }

  /** 'incremental' (default) sets the given keys; 'replace' makes them the topic's whole config. */
  alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental' = 'incremental'): Promise<void> {
    return this.backend.alterTopicConfigs(name, configs, mode);
  }

  /** Deletes records below `offset` (Kafka's DeleteRecords); resolves with the new log start. */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const result = await this.backend.deleteRecords(topic, partition, offset);
    if (result.errorCode !== 0) throw new KafkaError(result.errorCode, `deleting records of ${topic}-${partition}`);
    return result.lowWatermark;
  }
}
