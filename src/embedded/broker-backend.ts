/**
 * BrookBackend over an in-process Broker: the embedded API and the CLI (without --broker) use it.
 * Owned by one Brook instance on the main thread; not thread-safe (nothing on the main thread is).
 */
import type { Broker, BrokerOptions } from '../engine/broker.js';
import type {
  Acks,
  BackendFetchOptions,
  BackendFetchRequest,
  BackendFetchResult,
  BackendProduceResult,
  BrookBackend,
  GroupTransport,
  TopicDescription,
  TopicDetails,
} from './backend.js';
import { InProcessGroupTransport } from './group-transport.js';

export interface BrokerBackendOptions extends BrokerOptions {
  /** Kafka's auto.create.topics.enable: true by default, as in Kafka. */
  autoCreateTopics?: boolean;
  /** Kafka's num.partitions for auto-created topics: 1 by default, as in Kafka. */
  numPartitions?: number;
}

export class BrokerBackend implements BrookBackend {
  readonly autoCreateTopics: boolean;
  readonly numPartitions: number;
  /** The broker's group coordinators, unless it was opened with `groups: false`. */
  readonly groups?: GroupTransport;

  private constructor(
    /** The in-process broker (Brook.open({ http }) serves its metrics and console). */
    readonly broker: Broker,
    options: BrokerBackendOptions,
  ) {
    this.autoCreateTopics = options.autoCreateTopics ?? true;
    this.numPartitions = options.numPartitions ?? 1;
    if (broker.hasGroups) this.groups = new InProcessGroupTransport(broker.groups);
  }

  /**
   * A backend over a Broker someone else opened and owns (`brook serve` gives its log inputs one):
   * closing the Broker stays the owner's job, so do not call close() on it.
   */
  static around(broker: Broker, options: { autoCreateTopics?: boolean; numPartitions?: number } = {}): BrokerBackend {
    return new BrokerBackend(broker, { dataDir: '', ...options });
  }

  static async open(options: BrokerBackendOptions): Promise<BrokerBackend> {
    // Loaded on first open, so `brook --help` and flag errors never load the engine.
    const { Broker } = await import('../engine/broker.js');
    const { coordinatorSettingsFromEnv } = await import('../engine/coordinator/coordinator-config.js');
    const broker = await Broker.open({ ...options, coordinators: { ...coordinatorSettingsFromEnv(), ...options.coordinators } });
    return new BrokerBackend(broker, options);
  }

  async createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    await this.broker.createTopic(name, options);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.broker.deleteTopic(name);
  }

  async createPartitions(name: string, totalCount: number): Promise<void> {
    await this.broker.createPartitions(name, totalCount);
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): Promise<void> {
    await this.broker.alterTopicConfigs(name, configs, mode);
  }

  async listTopics(): Promise<TopicDescription[]> {
    return this.broker.topics().map((t) => ({ ...t, configs: { ...t.configs } }));
  }

  async describeTopic(name: string): Promise<TopicDetails | undefined> {
    const topic = this.broker.topic(name);
    if (topic === undefined) return undefined;
    const partitions = [];
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      const state = await this.broker.loadPartitionState(name, partition);
      if (state === undefined) continue;
      partitions.push({ partition, ...state });
    }
    return { ...topic, configs: { ...this.broker.topicConfig(name) }, partitions };
  }

  async produce(topic: string, partition: number, batches: Buffer, acks: Acks): Promise<BackendProduceResult> {
    // One host, one replica: acks=1 and acks=all mean the same, except on a topic whose
    // min.insync.replicas asks for more replicas than there are (acks=all: NOT_ENOUGH_REPLICAS).
    // acks=0 still waits in-process, because the append is what frees ring space (the embedded
    // producer's backpressure).
    return this.broker.produce(topic, partition, batches, { acks: acks === 'all' ? -1 : acks });
  }

  initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    return this.broker.initProducerId();
  }

  async fetch(requests: BackendFetchRequest[], options: BackendFetchOptions): Promise<BackendFetchResult[]> {
    return this.broker.fetch(requests, options);
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number; errorMessage?: string }> {
    return this.broker.listOffset(topic, partition, timestamp);
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    return this.broker.deleteRecords(topic, partition, offset);
  }

  async flush(): Promise<void> {
    await this.broker.flush();
  }

  async close(): Promise<void> {
    await this.broker.close();
  }
}
