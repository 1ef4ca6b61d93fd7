/**
 * A BrookBackend held in memory, for unit tests of the producer's batching, ordering and memory
 * bound, where the test must control when appends complete (`hold()` / `release()`), which the
 * real broker cannot offer. End-to-end behaviour is tested against the real Broker elsewhere.
 */
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { iterateBatches, writeBaseOffset } from '../../src/protocol/record-batch.js';
import { KafkaCodeError } from '../../src/common/errors.js';
import type {
  Acks, BackendFetchOptions, BackendFetchRequest, BackendFetchResult, BackendProduceResult, BrookBackend, TopicDescription, TopicDetails,
} from '../../src/embedded/backend.js';

interface MemoryPartition {
  batches: Buffer[];
  logEndOffset: number;
}

export class MemoryBackend implements BrookBackend {
  readonly topicsByName = new Map<string, MemoryPartition[]>();
  readonly configsByName = new Map<string, Record<string, string>>();
  readonly produceCalls: Array<{ topic: string; partition: number; recordCount: number; sizeBytes: number }> = [];
  maxInFlightSeen = 0;
  rejectWith: number | null = null;
  /** Error codes answered to the next produce calls, one each (null: answer normally), before rejectWith applies. */
  rejectNext: Array<number | null> = [];
  /** The bytes of every produce call, answered or refused, in call order. */
  readonly attempts: Buffer[] = [];
  private inFlight = 0;
  private held: Array<() => void> | null = null;

  constructor(
    readonly autoCreateTopics = true,
    readonly numPartitions = 1,
  ) {}

  /** From now on produce() waits until release(). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const go of held) go();
  }

  async createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    if (this.topicsByName.has(name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
    this.topicsByName.set(name, Array.from({ length: options.partitions }, () => ({ batches: [], logEndOffset: 0 })));
    this.configsByName.set(name, { ...(options.configs ?? {}) });
  }
  async deleteTopic(name: string): Promise<void> {
    this.topicsByName.delete(name);
  }
  async createPartitions(): Promise<void> {}
  async alterTopicConfigs(): Promise<void> {}
  async listTopics(): Promise<TopicDescription[]> {
    return [...this.topicsByName].map(([name, parts]) => ({ name, topicId: name, partitionCount: parts.length, configs: {}, internal: false }));
  }
  async describeTopic(name: string): Promise<TopicDetails | undefined> {
    const parts = this.topicsByName.get(name);
    if (parts === undefined) return undefined;
    return {
      name, topicId: name, partitionCount: parts.length, configs: { ...this.configsByName.get(name) }, internal: false,
      partitions: parts.map((p, partition) => ({
        partition, logStartOffset: 0, logEndOffset: p.logEndOffset, highWatermark: p.logEndOffset,
        sizeBytes: p.batches.reduce((n, b) => n + b.length, 0), segmentCount: 1,
      })),
    };
  }

  async produce(topic: string, partition: number, batches: Buffer, _acks: Acks): Promise<BackendProduceResult> {
    this.inFlight++;
    this.maxInFlightSeen = Math.max(this.maxInFlightSeen, this.inFlight);
    try {
      if (this.held !== null) await new Promise<void>((resolve) => this.held!.push(resolve));
      const part = this.topicsByName.get(topic)?.[partition];
      if (part === undefined) return this.error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      this.attempts.push(Buffer.from(batches));
      const next = this.rejectNext.shift();
      if (next !== undefined && next !== null) return this.error(next);
      if (this.rejectWith !== null) return this.error(this.rejectWith);
      const baseOffset = part.logEndOffset;
      const copy = Buffer.from(batches);
      let recordCount = 0;
      for (const { pos, header } of iterateBatches(copy)) {
        writeBaseOffset(copy, pos, part.logEndOffset);
        part.logEndOffset += header.lastOffsetDelta + 1;
        recordCount += header.recordsCount;
      }
      part.batches.push(copy);
      this.produceCalls.push({ topic, partition, recordCount, sizeBytes: copy.length });
      return { errorCode: 0, errorMessage: null, baseOffset, logAppendTimeMs: -1 };
    } finally {
      this.inFlight--;
    }
  }

  private error(errorCode: number): BackendProduceResult {
    return { errorCode, errorMessage: 'rejected by test', baseOffset: -1, logAppendTimeMs: -1 };
  }

  /** Producer ids handed out, in order (0, 1, ...). */
  producerIdCount = 0;

  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    return { producerId: this.producerIdCount++, producerEpoch: 0 };
  }

  async fetch(requests: BackendFetchRequest[], _options: BackendFetchOptions): Promise<BackendFetchResult[]> {
    return requests.map((r) => {
      const part = this.topicsByName.get(r.topic)?.[r.partition];
      if (part === undefined) {
        return { topic: r.topic, partition: r.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: null };
      }
      const chosen = part.batches.filter((b) => Number(b.readBigInt64BE(0)) + b.readInt32BE(23) >= r.fetchOffset);
      return { topic: r.topic, partition: r.partition, errorCode: 0, highWatermark: part.logEndOffset, logStartOffset: 0, records: Buffer.concat(chosen) };
    });
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }> {
    const part = this.topicsByName.get(topic)?.[partition];
    if (part === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 };
    return { errorCode: 0, offset: timestamp === -2 ? 0 : part.logEndOffset, timestamp: -1 };
  }
  async deleteRecords(): Promise<{ errorCode: number; lowWatermark: number }> {
    return { errorCode: 0, lowWatermark: 0 };
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
