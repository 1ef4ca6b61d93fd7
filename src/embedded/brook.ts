/**
 * Brook as a library: one object that owns an in-process broker over a data dir and hands out
 * an admin client, producers and consumers. Closing it closes every producer (flushing them) and
 * consumer it created, then the broker (clean-shutdown markers written).
 * Main thread only; one Brook per data dir per process (the dir is locked).
 */
import type { BrookBackend } from './backend.js';
import { BrokerBackend } from './broker-backend.js';
import { Admin } from './admin.js';
import { Producer, type ProducerOptions } from './producer.js';
import { Consumer, type ConsumerOptions } from './consumer.js';

export interface BrookOptions {
  /** Default './brook-data'. */
  dataDir?: string;
  /** Defaults for every topic's configs, by Kafka name (e.g. { 'segment.bytes': '1048576' }). */
  topicDefaults?: Record<string, string>;
  /** Create unknown topics on first produce (Kafka's auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics (Kafka's num.partitions). Default 1. */
  numPartitions?: number;
  /** Bytes of each partition's produce ring. Default 8 MiB. */
  ringBytes?: number;
}

export const DATA_DIR_DEFAULT = './brook-data';

export class Brook {
  readonly admin: Admin;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private closing: Promise<void> | null = null;

  /** Wraps an already-open backend; most callers want Brook.open. */
  constructor(readonly backend: BrookBackend) {
    this.admin = new Admin(backend);
  }

  /** Opens (creating if needed) the data dir. Throws DataDirLockedError if another process has it. */
  static async open(options: BrookOptions = {}): Promise<Brook> {
    const backend = await BrokerBackend.open({
      dataDir: options.dataDir ?? DATA_DIR_DEFAULT,
      topicDefaults: options.topicDefaults,
      autoCreateTopics: options.autoCreateTopics ?? true,
      numPartitions: options.numPartitions ?? 1,
      ringBytes: options.ringBytes,
    });
    return new Brook(backend);
  }

  producer(options: ProducerOptions = {}): Producer {
    this.checkOpen();
    const producer = new Producer(this.backend, options);
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.checkOpen();
    const consumer = new Consumer(this.backend, options);
    this.consumers.add(consumer);
    return consumer;
  }

  /** Durably writes everything appended so far (fsync), whatever the topics' flush settings. */
  flush(): Promise<void> {
    return this.backend.flush();
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await this.backend.close();
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new Error('Brook is closed');
  }
}
