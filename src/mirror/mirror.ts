/**
 * `brook mirror`'s engine: reads topics from the local Brook (any BrookBackend: the in-process
 * broker over a data dir, or a running `brook serve`) and produces them to a Kafka cluster
 * (target-cluster.ts), round by round:
 *
 *   fetch every unfinished source partition (one Fetch)
 *     -> map batches onto target partitions (target-batches.ts: forward as-is or re-encode)
 *     -> produce acks=all, per leader, retrying retriable errors with the same sealed bytes
 *     -> only when every target partition acknowledged: commit the source offsets of the round
 *        for the group (a "simple" commit: generation -1, no group membership)
 *
 * Delivery is at least once. A crash after the target acknowledged a round but before the commit
 * resends that round on restart: the duplicates are bounded by one round (at most
 * partitionMaxBytes of batches per source partition, plus a single batch larger than that). Within
 * one run the target producer is idempotent when the target offers InitProducerId, so retries after
 * a lost connection or a leader change do not duplicate; across runs a new producerId is used and
 * that last round can duplicate.
 *
 * The group's offsets are only a bookmark: the mirror does not join the group, so two mirrors with
 * the same --group both forward everything. Main thread only; owned by its caller.
 */
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetAt, type BackendFetchRequest, type BrookBackend, type GroupTransport } from '../embedded/backend.js';
import { KafkaError, unknownTopicError } from '../embedded/kafka-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Compression } from '../protocol/compression.js';
import { FETCH_MAX_BYTES } from '../common/limits.js';
import { MirrorTargetError, TargetCluster, type TargetPartitionData } from './target-cluster.js';
import { planPartition, type TargetBatch, type TargetProducer } from './target-batches.js';

export interface MirrorOptions {
  topics: string[];
  /** Target bootstrap broker, host:port. */
  to: string;
  /** Source consumer group whose committed offsets mark progress; none: nothing is committed. */
  groupId?: string;
  /** Where a partition without a committed offset starts. Default: beginning unless follow. */
  fromBeginning?: boolean;
  /** Keep forwarding new records until stopped. Default false: stop at the end seen at start. */
  follow?: boolean;
  targetTopicPrefix?: string;
  /** Create missing target topics with the source's partition count. */
  createTopics?: boolean;
  /** Codec for the target batches (Compression value); undefined keeps each batch's codec. */
  compression?: number;
  /** Source bytes per partition per round (Kafka's max.partition.fetch.bytes). Default 1 MiB. */
  partitionMaxBytes?: number;
  /** How long a fetch waits for new records when following. Default 500. */
  maxWaitMs?: number;
  /** Kafka's delivery.timeout.ms for one round. Default 120 000. */
  deliveryTimeoutMs?: number;
}

export interface MirrorStats {
  recordCount: number;
  /** Batches sent to the target, by how they were made. */
  forwardedBatchCount: number;
  reencodedBatchCount: number;
  bytes: number;
  roundCount: number;
  /** Source records not yet forwarded, as of the last round (0 when caught up). */
  lagRecordCount: number;
  idempotent: boolean;
  elapsedMs: number;
}

interface SourcePartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  /** Exclusive; Infinity when following. */
  stopOffset: number;
  highWatermark: number;
}

interface SourceTopic {
  name: string;
  targetName: string;
  partitionCount: number;
  targetPartitionCount: number;
}

export class Mirror {
  readonly stats: MirrorStats;
  private readonly startMs = Date.now();

  private constructor(
    private readonly source: BrookBackend,
    private readonly target: TargetCluster,
    private readonly options: MirrorOptions,
    private readonly topics: Map<string, SourceTopic>,
    private readonly partitions: SourcePartition[],
    private readonly producer: TargetProducer,
  ) {
    this.stats = {
      recordCount: 0, forwardedBatchCount: 0, reencodedBatchCount: 0, bytes: 0, roundCount: 0,
      lagRecordCount: lagOf(partitions), idempotent: producer.producerId >= 0, elapsedMs: 0,
    };
  }

  /** Checks the source topics, connects to the target, prepares its topics and the start offsets. */
  static async open(source: BrookBackend, options: MirrorOptions): Promise<Mirror> {
    if (options.groupId !== undefined && source.groups === undefined) throw new Error('the source backend was opened without groups');
    const topics = new Map<string, SourceTopic>();
    for (const name of new Set(options.topics)) {
      const described = await source.describeTopic(name);
      if (described === undefined) throw unknownTopicError(name);
      topics.set(name, { name, targetName: `${options.targetTopicPrefix ?? ''}${name}`, partitionCount: described.partitionCount, targetPartitionCount: 0 });
    }
    const target = await TargetCluster.connect(options.to);
    try {
      await prepareTargetTopics(target, [...topics.values()], options.createTopics === true);
      const id = await target.initProducerId();
      const producer: TargetProducer = { producerId: id?.producerId ?? -1, producerEpoch: id?.producerEpoch ?? -1, nextSequence: new Map() };
      const partitions = await startPositions(source, [...topics.values()], options);
      return new Mirror(source, target, options, topics, partitions, producer);
    } catch (err) {
      target.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Forwards rounds until the end seen at start (or, when following, until `signal` aborts). An
   * abort lets the round in flight finish -- produced and committed -- before it returns.
   */
  async run(signal: AbortSignal, onRound?: (stats: MirrorStats) => void): Promise<MirrorStats> {
    while (!signal.aborted) {
      const active = this.partitions.filter((p) => p.fetchOffset < p.stopOffset);
      if (active.length === 0) break;
      await this.round(active);
      this.stats.elapsedMs = Date.now() - this.startMs;
      onRound?.(this.stats);
    }
    this.stats.elapsedMs = Date.now() - this.startMs;
    return this.stats;
  }

  async close(): Promise<void> {
    await this.target.close();
  }

  private async round(active: SourcePartition[]): Promise<void> {
    const requests: BackendFetchRequest[] = active.map((p) => ({
      topic: p.topic, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: this.options.partitionMaxBytes ?? 1_048_576,
    }));
    const results = await this.source.fetch(requests, {
      maxWaitMs: this.options.follow === true ? (this.options.maxWaitMs ?? 500) : 0,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
    });
    // Per target topic and partition, the sealed batches in the order their sequences were taken.
    const outgoing = new Map<string, Map<number, Buffer[]>>();
    const advanced: { position: SourcePartition; nextOffset: number }[] = [];
    for (const result of results) {
      const position = active.find((p) => p.topic === result.topic && p.partition === result.partition)!;
      if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        // Retention removed records the mirror never forwarded: nothing can bring them back.
        position.fetchOffset = Math.max(position.fetchOffset, result.logStartOffset);
        continue;
      }
      if (result.errorCode !== ErrorCode.NONE) throw new KafkaError(result.errorCode, `fetching ${result.topic}-${result.partition} from the source`);
      position.highWatermark = result.highWatermark;
      if (result.records === null || result.records.length === 0) continue;
      const topic = this.topics.get(result.topic)!;
      const planned = planPartition(result.records, position.fetchOffset, {
        sourcePartition: result.partition,
        targetPartitionCount: topic.targetPartitionCount,
        samePartition: topic.targetPartitionCount >= topic.partitionCount,
        compression: this.options.compression ?? null,
        acceptsCodec: (codec) => codec !== Compression.zstd || this.target.produceVersion >= 7,
      }, this.producer);
      if (planned.nextOffset > position.fetchOffset) advanced.push({ position, nextOffset: planned.nextOffset });
      this.count(planned.batches, planned.recordCount);
      let byPartition = outgoing.get(topic.targetName);
      if (byPartition === undefined) outgoing.set(topic.targetName, (byPartition = new Map()));
      for (const batch of planned.batches) {
        const list = byPartition.get(batch.partition);
        if (list === undefined) byPartition.set(batch.partition, [batch.bytes]);
        else list.push(batch.bytes);
      }
    }
    await Promise.all([...outgoing].map(([targetTopic, byPartition]) => {
      const data: TargetPartitionData[] = [...byPartition].map(([partition, list]) => ({ partition, records: Buffer.concat(list) }));
      return this.target.produceUntilAcknowledged(targetTopic, data, this.options.deliveryTimeoutMs ?? 120_000);
    }));
    // Acknowledged by the target: only now may the source offsets move.
    if (advanced.length > 0 && this.options.groupId !== undefined) await commit(this.source.groups!, this.options.groupId, advanced);
    for (const { position, nextOffset } of advanced) position.fetchOffset = nextOffset;
    this.stats.roundCount++;
    this.stats.lagRecordCount = lagOf(this.partitions);
  }

  private count(batches: TargetBatch[], recordCount: number): void {
    this.stats.recordCount += recordCount;
    for (const batch of batches) {
      if (batch.reencoded) this.stats.reencodedBatchCount++;
      else this.stats.forwardedBatchCount++;
      this.stats.bytes += batch.bytes.length;
    }
  }
}

function lagOf(partitions: SourcePartition[]): number {
  return partitions.reduce((sum, p) => sum + Math.max(0, Math.min(p.highWatermark, p.stopOffset) - p.fetchOffset), 0);
}

/** Finds (or creates) each target topic and records its partition count. */
async function prepareTargetTopics(target: TargetCluster, topics: SourceTopic[], createTopics: boolean): Promise<void> {
  const names = topics.map((t) => t.targetName);
  let counts = await target.refresh(names);
  const missing = topics.filter((t) => counts.get(t.targetName) === undefined);
  if (missing.length > 0 && !createTopics) {
    throw new MirrorTargetError(`target topic '${missing[0]!.targetName}' does not exist on ${target.address} (create it, or pass --create-topics)`);
  }
  for (const topic of missing) await target.createTopic(topic.targetName, topic.partitionCount);
  // A created topic may take a moment to show up with leaders in the target's metadata.
  for (let attempt = 0; missing.length > 0 && attempt < 50; attempt++) {
    counts = await target.refresh(names);
    if (missing.every((t) => (counts.get(t.targetName) ?? 0) > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const topic of topics) {
    const count = counts.get(topic.targetName);
    if (count === undefined || count === 0) throw new MirrorTargetError(`target topic '${topic.targetName}' on ${target.address} has no partitions yet`);
    topic.targetPartitionCount = count;
  }
}

/**
 * The group's committed offset where there is one, else the log start (--from-beginning, or not
 * following) or the log end (following). Without follow each partition stops at the high
 * watermark seen here.
 */
async function startPositions(source: BrookBackend, topics: SourceTopic[], options: MirrorOptions): Promise<SourcePartition[]> {
  const committed = options.groupId === undefined ? new Map<string, number>() : await committedOffsets(source.groups!, options.groupId, topics);
  const fromBeginning = options.fromBeginning === true || options.follow !== true;
  const positions: SourcePartition[] = [];
  for (const topic of topics) {
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      const earliest = await offsetAt(source, topic.name, partition, EARLIEST_TIMESTAMP, 'on the source');
      const latest = await offsetAt(source, topic.name, partition, LATEST_TIMESTAMP, 'on the source');
      const saved = committed.get(`${topic.name}-${partition}`);
      const fetchOffset = saved !== undefined ? Math.max(saved, earliest) : fromBeginning ? earliest : latest;
      positions.push({ topic: topic.name, partition, fetchOffset, stopOffset: options.follow === true ? Infinity : latest, highWatermark: latest });
    }
  }
  return positions;
}

async function committedOffsets(groups: GroupTransport, groupId: string, topics: SourceTopic[]): Promise<Map<string, number>> {
  const response = await groups.offsetFetch({
    groupId,
    topics: topics.map((t) => ({ name: t.name, partitionIndexes: Array.from({ length: t.partitionCount }, (_, i) => i) })),
  });
  if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `fetching the offsets of group '${groupId}'`);
  const offsets = new Map<string, number>();
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0) offsets.set(`${topic.name}-${p.partitionIndex}`, p.committedOffset);
    }
  }
  return offsets;
}

/** A "simple" commit (generation -1, no member): the group is a bookmark, not a membership. */
async function commit(groups: GroupTransport, groupId: string, advanced: { position: SourcePartition; nextOffset: number }[]): Promise<void> {
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[]>();
  for (const { position, nextOffset } of advanced) {
    let list = byTopic.get(position.topic);
    if (list === undefined) byTopic.set(position.topic, (list = []));
    list.push({ partitionIndex: position.partition, committedOffset: nextOffset, committedMetadata: null });
  }
  const response = await groups.offsetCommit({
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  });
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `committing ${topic.name}-${p.partitionIndex} for group '${groupId}' (is a consumer of the group running?)`);
    }
  }
}
