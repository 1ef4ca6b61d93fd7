/**
 * Partition counts the producer needs to place records, looked up once per topic and cached.
 * Producing to an unknown topic creates it with num.partitions when the backend allows it (Kafka's
 * auto.create.topics.enable, on by default), otherwise fails with UNKNOWN_TOPIC_OR_PARTITION.
 * Main thread only.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { KafkaCodeError } from '../common/errors.js';
import type { BrookBackend } from './backend.js';
import { unknownTopicError } from './kafka-error.js';

type Entry = { partitionCount: number } | { pending: Promise<number> };

export class TopicMetadata {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly backend: BrookBackend) {}

  /** The cached count, or undefined if a lookup is needed first. */
  partitionCountNow(topic: string): number | undefined {
    const entry = this.entries.get(topic);
    return entry !== undefined && 'partitionCount' in entry ? entry.partitionCount : undefined;
  }

  partitionCount(topic: string): Promise<number> {
    const entry = this.entries.get(topic);
    if (entry !== undefined) return 'partitionCount' in entry ? Promise.resolve(entry.partitionCount) : entry.pending;
    const pending = this.lookUp(topic).then(
      (partitionCount) => {
        this.entries.set(topic, { partitionCount });
        return partitionCount;
      },
      (err: unknown) => {
        this.entries.delete(topic); // a failed lookup is retried by the next send
        throw err;
      },
    );
    this.entries.set(topic, { pending });
    return pending;
  }

  /** Forget a topic, e.g. after the broker said UNKNOWN_TOPIC_OR_PARTITION. */
  invalidate(topic: string): void {
    const entry = this.entries.get(topic);
    if (entry !== undefined && 'partitionCount' in entry) this.entries.delete(topic);
  }

  private async lookUp(topic: string): Promise<number> {
    const found = await this.backend.describeTopic(topic);
    if (found !== undefined) return found.partitionCount;
    if (!this.backend.autoCreateTopics) throw unknownTopicError(topic);
    try {
      await this.backend.createTopic(topic, { partitions: this.backend.numPartitions });
    } catch (err) {
      // Another producer may have created it between our describe and create: that is fine.
      if (!(err instanceof KafkaCodeError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
    }
    const created = await this.backend.describeTopic(topic);
    if (created === undefined) throw unknownTopicError(topic);
    return created.partitionCount;
  }
}
