/**
 * The target of `brook mirror`: an Apache Kafka (or Kafka-compatible) cluster reached through
 * Brook's own single-connection KafkaClient. Kafka's routing is rebuilt on top of it: Metadata
 * names each partition's leader, produce requests go to the leader's connection (one KafkaClient
 * per leader node, opened on first use), and NOT_LEADER_OR_FOLLOWER or a dropped connection
 * refreshes the metadata before the same bytes are sent again.
 *
 * Main thread only; owned by one Mirror.
 */
import { KafkaClient } from '../client/client.js';
import { BrookError } from '../common/errors.js';
import { ErrorCode, errorName, RETRIABLE_ERROR_CODES } from '../protocol/error-codes.js';
import * as produceApi from '../protocol/apis/produce.js';
import { defaultCreatableTopic } from '../protocol/apis/create-topics.js';
import { defaultMetadataRequestTopic } from '../protocol/apis/metadata.js';

export interface TargetPartitionData {
  partition: number;
  /** Concatenated batches, sealed with their sequences: resent byte for byte on retry. */
  records: Buffer;
}

export interface TargetProduceResult {
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** The target refused something the mirror cannot fix by retrying (STYLE.md's second kind). */
export class MirrorTargetError extends BrookError {
  constructor(message: string, cause?: unknown) {
    super('MIRROR_TARGET_ERROR', message, { cause });
  }
}

interface PartitionLeader {
  leaderId: number;
}

export class TargetCluster {
  private readonly leaderClients = new Map<number, Promise<KafkaClient>>();
  private brokers = new Map<number, string>();
  private readonly partitions = new Map<string, PartitionLeader[]>();

  private constructor(private readonly bootstrap: KafkaClient) {}

  static async connect(address: string, clientId = 'brook-mirror'): Promise<TargetCluster> {
    return new TargetCluster(await KafkaClient.connect(address, { clientId }));
  }

  get address(): string {
    return this.bootstrap.address;
  }

  /** The Produce version the bootstrap broker speaks (zstd batches need 7+). */
  get produceVersion(): number {
    return this.bootstrap.connection.versionFor(produceApi);
  }

  /** Refreshes metadata for `topics`; returns each topic's partition count (undefined: unknown). */
  async refresh(topics: readonly string[]): Promise<Map<string, number | undefined>> {
    const response = await this.bootstrap.metadata({
      topics: topics.map((name) => ({ ...defaultMetadataRequestTopic(), name })),
      allowAutoTopicCreation: false,
    });
    this.brokers = new Map(response.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    const counts = new Map<string, number | undefined>();
    for (const topic of response.topics) {
      if (topic.name === null) continue;
      if (topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        counts.set(topic.name, undefined);
        continue;
      }
      if (topic.errorCode !== ErrorCode.NONE && topic.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) {
        throw new MirrorTargetError(`target ${this.address} answers ${errorName(topic.errorCode)} for topic '${topic.name}'`);
      }
      const leaders: PartitionLeader[] = [];
      for (const p of topic.partitions) leaders[p.partitionIndex] = { leaderId: p.leaderId };
      this.partitions.set(topic.name, leaders);
      counts.set(topic.name, topic.partitions.length);
    }
    return counts;
  }

  /** CreateTopics with the cluster's default replication factor; an existing topic is fine. */
  async createTopic(name: string, partitionCount: number): Promise<void> {
    const response = await this.bootstrap.createTopics({
      topics: [{ ...defaultCreatableTopic(), name, numPartitions: partitionCount, replicationFactor: -1 }],
      timeoutMs: 30_000,
    });
    const result = response.topics[0];
    const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new MirrorTargetError(`cannot create topic '${name}' on target ${this.address}: ${errorName(code)}${result?.errorMessage ? ` (${result.errorMessage})` : ''}`);
    }
  }

  /**
   * A producerId for idempotent produces (InitProducerId without a transactional id), or null when
   * the target does not offer one; the mirror then produces without sequences.
   */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number } | null> {
    if (!this.bootstrap.apiVersions.has(22)) return null;
    const response = await this.bootstrap.initProducerId({ transactionalId: null, transactionTimeoutMs: -1 });
    if (response.errorCode !== ErrorCode.NONE) return null;
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  /**
   * One acks=all produce per leader, in parallel; resolves with every partition's outcome. A
   * leader whose connection fails answers NETWORK_EXCEPTION for its partitions (retriable: the
   * caller refreshes and resends the same bytes, which the idempotent target deduplicates).
   */
  async produce(topic: string, data: readonly TargetPartitionData[], timeoutMs: number): Promise<TargetProduceResult[]> {
    const byLeader = new Map<number, TargetPartitionData[]>();
    const results: TargetProduceResult[] = [];
    const leaders = this.partitions.get(topic) ?? [];
    for (const d of data) {
      const leaderId = leaders[d.partition]?.leaderId ?? -1;
      if (leaderId < 0) {
        results.push({ partition: d.partition, errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: null });
        continue;
      }
      let list = byLeader.get(leaderId);
      if (list === undefined) byLeader.set(leaderId, (list = []));
      list.push(d);
    }
    await Promise.all([...byLeader].map(async ([leaderId, list]) => {
      try {
        const client = await this.clientFor(leaderId);
        const response = await client.produce({
          acks: -1,
          timeoutMs,
          topicData: [{ name: topic, partitionData: list.map((d) => ({ index: d.partition, records: d.records })) }],
        });
        const answered = new Map((response?.responses[0]?.partitionResponses ?? []).map((p) => [p.index, p]));
        for (const d of list) {
          const p = answered.get(d.partition);
          results.push({ partition: d.partition, errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: p?.errorMessage ?? null });
        }
      } catch (err) {
        if (!(err instanceof BrookError)) throw err;
        this.dropClient(leaderId);
        for (const d of list) results.push({ partition: d.partition, errorCode: ErrorCode.NETWORK_EXCEPTION, errorMessage: err.message });
      }
    }));
    return results;
  }

  /**
   * produce() until every partition is acknowledged: retriable errors refresh the metadata and
   * resend the same sealed bytes after a short backoff, until `deliveryTimeoutMs` (Kafka's
   * delivery.timeout.ms). DUPLICATE_SEQUENCE_NUMBER means an earlier attempt was written: success.
   * Anything else, or the deadline, throws MirrorTargetError and nothing of the round is committed.
   */
  async produceUntilAcknowledged(topic: string, data: readonly TargetPartitionData[], deliveryTimeoutMs: number): Promise<void> {
    const deadlineMs = Date.now() + deliveryTimeoutMs;
    let pending = [...data];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const results = await this.produce(topic, pending, Math.min(30_000, deliveryTimeoutMs));
      const retry = new Set<number>();
      for (const r of results) {
        if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) continue;
        const detail = `${errorName(r.errorCode)}${r.errorMessage ? ` (${r.errorMessage})` : ''}`;
        if (!isRetriable(r.errorCode)) throw new MirrorTargetError(`target ${this.address} refused ${topic}-${r.partition}: ${detail}`);
        if (Date.now() >= deadlineMs) throw new MirrorTargetError(`target ${this.address} did not acknowledge ${topic}-${r.partition} within ${deliveryTimeoutMs} ms: ${detail}`);
        retry.add(r.partition);
      }
      pending = pending.filter((d) => retry.has(d.partition));
      if (pending.length === 0) break;
      await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)));
      await this.refresh([topic]).catch(() => undefined); // the next attempt reports what still fails
    }
  }

  private clientFor(nodeId: number): Promise<KafkaClient> {
    let client = this.leaderClients.get(nodeId);
    if (client === undefined) {
      const address = this.brokers.get(nodeId);
      if (address === undefined) return Promise.reject(new MirrorTargetError(`target metadata names no broker ${nodeId}`));
      // The bootstrap connection already talks to this broker when the addresses match.
      client = address === this.bootstrap.address ? Promise.resolve(this.bootstrap) : KafkaClient.connect(address, { clientId: 'brook-mirror' });
      client.catch(() => this.leaderClients.delete(nodeId));
      this.leaderClients.set(nodeId, client);
    }
    return client;
  }

  private dropClient(nodeId: number): void {
    const client = this.leaderClients.get(nodeId);
    this.leaderClients.delete(nodeId);
    void client?.then((c) => { if (c !== this.bootstrap) c.destroy(); }, () => undefined);
  }

  async close(): Promise<void> {
    const clients = await Promise.allSettled([...this.leaderClients.values()]);
    await Promise.allSettled(clients.map((c) => (c.status === 'fulfilled' && c.value !== this.bootstrap ? c.value.close() : undefined)));
    await this.bootstrap.close();
  }
}

/**
 * Kafka's retriable codes, less CORRUPT_MESSAGE: the mirror resends the very same bytes, so a
 * batch the target found corrupt will stay corrupt.
 */
function isRetriable(errorCode: number): boolean {
  return errorCode !== ErrorCode.CORRUPT_MESSAGE && (RETRIABLE_ERROR_CODES.has(errorCode) || errorCode === ErrorCode.NETWORK_EXCEPTION);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
