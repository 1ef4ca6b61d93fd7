/**
 * The stream thread's record collector (Kafka's RecordCollectorImpl): every record a task sends
 * (outputs, repartition topics, changelogs, dead letters) goes through one idempotent embedded
 * producer. Sends are not awaited one by one; flush() waits for all of them and rethrows the
 * first failure, which is what a commit waits for before it stores offsets. It also remembers the
 * highest acknowledged offset per changelog partition: the task's checkpoint.
 *
 * Owned by one stream thread; not thread-safe.
 */
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { Producer, RecordMetadata } from '../../embedded/producer.js';
import type { BulkRecord } from '../../embedded/bulk-records.js';
import type { RecordCollector } from './task.js';

const ignore = (): void => undefined;

export class ProducerCollector implements RecordCollector {
  private firstError: Error | null = null;
  /** `<topic>\u0000<partition>` -> highest acknowledged offset, for topics being tracked. */
  private readonly acknowledged = new Map<string, number>();
  private readonly tracked = new Set<string>();
  sentRecords = 0;
  private readonly bulkSends = new Set<Promise<void>>();

  constructor(private readonly producer: Producer) {}

  /** Changelog topics: their acknowledged offsets feed checkpoints. */
  track(topic: string): void {
    this.tracked.add(topic);
  }

  send(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeader[]): void {
    this.sentRecords++;
    this.producer.sendWithCallback({ topic, partition, key, value, timestamp, headers }, this.tracked.has(topic) ? this.acknowledged_ : ignore, this.failed_);
  }

  private readonly acknowledged_ = (metadata: RecordMetadata): void => this.acknowledge(metadata);
  private readonly failed_ = (error: Error): void => this.fail(error);

  sendBulk(topic: string, partition: number, records: BulkRecord[]): void {
    this.sentRecords += records.length;
    for (const record of records) record.partition = partition; // a changelog partition is its task's
    const sending = this.producer.sendRecords(topic, records).then((result) => {
      if (result.error !== null) this.fail(result.error);
      if (result.lastOffset >= 0) this.acknowledge({ topic, partition, offset: result.lastOffset, timestamp: 0 });
    }, (err: Error) => this.fail(err));
    this.bulkSends.add(sending);
    void sending.finally(() => this.bulkSends.delete(sending));
  }

  /** Resolves once every send so far is acknowledged; throws the first send failure. */
  async flush(): Promise<void> {
    await this.producer.flush();
    await Promise.all(this.bulkSends); // their outcomes are recorded (offsets, errors)
    if (this.firstError !== null) throw this.firstError;
  }

  /** The next changelog offset after what this collector wrote to `topic`-`partition`, if it wrote any. */
  nextOffset(topic: string, partition: number): number | undefined {
    const offset = this.acknowledged.get(`${topic}\u0000${partition}`);
    return offset === undefined ? undefined : offset + 1;
  }

  /** Backpressure: resolves when the producer has room (its bufferBytes). */
  ready(): Promise<void> {
    return this.producer.ready();
  }

  get failed(): Error | null {
    return this.firstError;
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private acknowledge(meta: RecordMetadata): void {
    const slot = `${meta.topic}\u0000${meta.partition}`;
    if ((this.acknowledged.get(slot) ?? -1) < meta.offset) this.acknowledged.set(slot, meta.offset);
  }

  private fail(err: Error): void {
    this.firstError ??= err;
  }
}
