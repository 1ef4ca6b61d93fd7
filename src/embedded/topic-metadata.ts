/**
 * What the producer needs to place records, looked up once per topic and cached: the partition
 * count, and the largest batch the topic accepts (the smaller of its max.message.bytes and
 * segment.bytes: Kafka refuses a batch over either).
 * Producing to an unknown topic creates it with num.partitions when the backend allows it (Kafka's
 * auto.create.topics.enable, on by default), otherwise fails with UNKNOWN_TOPIC_OR_PARTITION.
 * Main thread only.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { KafkaCodeError } from '../common/errors.js';
import type { BrookBackend, TopicDescription } from './backend.js';
import { unknownTopicError } from './kafka-error.js';

export interface TopicLimits {
  partitionCount: number;
  /** Bytes of the largest record batch the topic takes (Infinity when the broker did not say). */
  batchBytesMax: number;
}

type Entry = { limits: TopicLimits } | { pending: Promise<TopicLimits> };

export class TopicMetadata {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly backend: BrookBackend) {}

  /** The cached limits, or undefined if a lookup is needed first. */
  limitsNow(topic: string): TopicLimits | undefined {
    const entry = this.entries.get(topic);
    return entry !== undefined && 'limits' in entry ? entry.limits : undefined;
  }

  async partitionCount(topic: string): Promise<number> {
    return (await this.limits(topic)).partitionCount;
  }

  limits(topic: string): Promise<TopicLimits> {
    const entry = this.entries.get(topic);
    if (entry !== undefined) return 'limits' in entry ? Promise.resolve(entry.limits) : entry.pending;
    const pending = this.lookUp(topic).then(
      (limits) => {
        this.entries.set(topic, { limits });
        return limits;
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
    if (entry !== undefined && 'limits' in entry) this.entries.delete(topic);
  }

  private async lookUp(topic: string): Promise<TopicLimits> {
    const found = await this.backend.describeTopic(topic);
    if (found !== undefined) return limitsOf(found);
    if (!this.backend.autoCreateTopics) throw unknownTopicError(topic);
    try {
      await this.backend.createTopic(topic, { partitions: this.backend.numPartitions });
    } catch (err) {
      // Another producer may have created it between our describe and create: that is fine.
      if (!(err instanceof KafkaCodeError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
    }
    const created = await this.backend.describeTopic(topic);
    if (created === undefined) throw unknownTopicError(topic);
    return limitsOf(created);
  }
}

function limitsOf(topic: TopicDescription): TopicLimits {
  const bytes = (name: string): number => {
    const value = Number(topic.configs[name]);
    return Number.isSafeInteger(value) && value > 0 ? value : Infinity;
  };
  return { partitionCount: topic.partitionCount, batchBytesMax: Math.min(bytes('max.message.bytes'), bytes('segment.bytes')) };
}
