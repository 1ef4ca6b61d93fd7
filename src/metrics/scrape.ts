/**
 * One /metrics scrape: every family, filtered by what the caller may describe (topic series need
 * describe on the topic, group series on the group, broker-wide series on the cluster).
 *
 * Cost at scale: partition series come from the state each partition worker publishes in shared
 * memory and from the traffic counters (no partition log opened, no file touched), gathered into
 * one column per figure; each partition's label set is rendered once and kept between scrapes
 * (LabelCache), and reused by every family. docs/benchmarks.md has a scrape's time and size at
 * 10,000 partitions. Main thread.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Access } from '../http/access.js';
import { ExpositionWriter, escapeLabelValue } from './exposition.js';
import { groupLagViews, type GroupLagView } from './group-lag.js';
import type { ProcessMetrics } from './process.js';
import type { RequestMetrics } from './requests.js';
import type { MetricsBroker } from './source.js';

export interface ScrapeSources {
  broker: MetricsBroker;
  access: Access;
  /** Per-API figures of the Kafka listener (absent for an embedded broker without one). */
  requests?: RequestMetrics;
  process?: ProcessMetrics;
  /** Open connections per listener ('kafka', 'http'). */
  connections?: () => Record<string, number>;
  /** Hears each group's lag as computed (the console's lag history, so sparklines fill while Prometheus scrapes). */
  onGroupLag?: (view: GroupLagView) => void;
}

/** Above this many partitions a scrape yields to the event loop between families. */
const YIELD_ROWS_MIN = 1000;

/** The per-partition figures, in the order of PARTITION_FAMILIES' columns. */
const enum Column { RecordsIn, BytesIn, RecordsOut, BytesOut, LogStartOffset, LogEndOffset, HighWatermark, SizeBytes, SegmentCount, Count }

/** [family, type, help, column] for every per-partition family, in exposition order. */
const PARTITION_FAMILIES: readonly [string, 'counter' | 'gauge', string, Column][] = [
  ['brook_partition_records_in_total', 'counter', 'Records appended to the partition since the broker started.', Column.RecordsIn],
  ['brook_partition_bytes_in_total', 'counter', 'Record batch bytes appended to the partition since the broker started.', Column.BytesIn],
  ['brook_partition_records_out_total', 'counter', 'Records fetched from the partition since the broker started (whole batches, as sent).', Column.RecordsOut],
  ['brook_partition_bytes_out_total', 'counter', 'Record batch bytes fetched from the partition since the broker started.', Column.BytesOut],
  ['brook_partition_log_start_offset', 'gauge', 'The first offset still in the log (Kafka logStartOffset).', Column.LogStartOffset],
  ['brook_partition_log_end_offset', 'gauge', 'The offset the next appended record gets (Kafka logEndOffset).', Column.LogEndOffset],
  ['brook_partition_high_watermark', 'gauge', 'The offset consumers may read up to (Kafka highWatermark).', Column.HighWatermark],
  ['brook_partition_size_bytes', 'gauge', 'Bytes of the partition\'s segments on disk.', Column.SizeBytes],
  ['brook_partition_segments', 'gauge', 'Segments in the partition\'s log.', Column.SegmentCount],
];

interface TopicLabels {
  /** `{topic="logs"}` */
  topic: string;
  /** `{topic="logs",partition="0"}`, ... for partitions 0.. (at least the topic's count). */
  partitions: string[];
}

/**
 * The label sets of every topic and partition, rendered on first use and kept between scrapes: a
 * scrape of 10,000 partitions otherwise renders 10,000 label strings only to drop them. Depends on
 * nothing but the names, so one cache serves every caller; topics that are gone are dropped at the
 * next scrape. Main thread; one per /metrics route (routes.ts).
 */
export class LabelCache {
  private readonly byTopic = new Map<string, TopicLabels>();

  of(topic: string, partitionCount: number): TopicLabels {
    let labels = this.byTopic.get(topic);
    if (labels === undefined) {
      labels = { topic: `{topic="${escapeLabelValue(topic)}"}`, partitions: [] };
      this.byTopic.set(topic, labels);
    }
    const prefix = labels.topic.slice(0, -1);
    for (let p = labels.partitions.length; p < partitionCount; p++) labels.partitions.push(`${prefix},partition="${p}"}`);
    return labels;
  }

  /** Topics whose label sets are held. */
  get topicCount(): number {
    return this.byTopic.size;
  }

  /** Forgets topics not among `topics` (after they were deleted). */
  retain(topics: readonly { name: string }[]): void {
    if (this.byTopic.size <= topics.length) return;
    const names = new Set(topics.map((t) => t.name));
    for (const name of this.byTopic.keys()) if (!names.has(name)) this.byTopic.delete(name);
  }
}

/** Every visible open partition's label set and figures, column by column (no object per partition). */
interface PartitionTable {
  count: number;
  labels: string[];
  columns: Float64Array[];
  topics: { labels: string; partitionCount: number }[];
}

function partitionTable({ broker, access }: ScrapeSources, cache: LabelCache): PartitionTable {
  const all = broker.topics();
  cache.retain(all);
  const topics: PartitionTable['topics'] = [];
  let capacity = 0;
  for (const topic of all) if (access.seesTopic(topic.name)) capacity += topic.partitionCount;
  const table: PartitionTable = { count: 0, labels: new Array<string>(capacity), columns: Array.from({ length: Column.Count }, () => new Float64Array(capacity)), topics };
  const c = table.columns;
  for (const topic of all) {
    if (!access.seesTopic(topic.name)) continue;
    const labels = cache.of(topic.name, topic.partitionCount);
    topics.push({ labels: labels.topic, partitionCount: topic.partitionCount });
    for (let p = 0; p < topic.partitionCount; p++) {
      const state = broker.partitionState(topic.name, p);
      if (state === undefined) continue;
      const traffic = broker.traffic.partition(topic.name, p);
      const i = table.count++;
      table.labels[i] = labels.partitions[p]!;
      c[Column.RecordsIn]![i] = traffic.recordsIn;
      c[Column.BytesIn]![i] = traffic.bytesIn;
      c[Column.RecordsOut]![i] = traffic.recordsOut;
      c[Column.BytesOut]![i] = traffic.bytesOut;
      c[Column.LogStartOffset]![i] = state.logStartOffset;
      c[Column.LogEndOffset]![i] = state.logEndOffset;
      c[Column.HighWatermark]![i] = state.highWatermark;
      c[Column.SizeBytes]![i] = state.sizeBytes;
      c[Column.SegmentCount]![i] = state.segmentCount;
    }
  }
  return table;
}

async function writeGroups(out: ExpositionWriter, sources: ScrapeSources): Promise<void> {
  const views = await groupLagViews(sources.broker, sources.access);
  if (sources.onGroupLag !== undefined) for (const view of views) sources.onGroupLag(view);
  const labelsOf = new Map(views.map((v) => [v.groupId, `group="${escapeLabelValue(v.groupId)}"`]));
  out.family('brook_group_members', 'gauge', 'Members of the consumer group.');
  for (const v of views) out.sample('brook_group_members', `{${labelsOf.get(v.groupId)}}`, v.members.length);
  out.family('brook_group_state', 'gauge', 'The group\'s state (Kafka: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead): 1 for the current one.');
  for (const v of views) out.sample('brook_group_state', `{${labelsOf.get(v.groupId)},state="${v.state}"}`, 1);
  if (sources.requests !== undefined) {
    out.family('brook_group_rebalances_total', 'counter', 'Rebalances completed (new generations answered to JoinGroup on the Kafka listener) since the broker started.');
    for (const v of views) out.sample('brook_group_rebalances_total', `{${labelsOf.get(v.groupId)}}`, sources.requests.rebalanceCount(v.groupId));
  }
  out.family('brook_group_committed_offset', 'gauge', 'The group\'s committed offset per partition.');
  for (const v of views) {
    for (const p of v.partitions) out.sample('brook_group_committed_offset', `{${labelsOf.get(v.groupId)},topic="${escapeLabelValue(p.topic)}",partition="${p.partition}"}`, p.committedOffset);
  }
  out.family('brook_group_lag', 'gauge', 'Records between the group\'s committed offset and the partition\'s high watermark.');
  for (const v of views) {
    for (const p of v.partitions) {
      if (p.lag !== null) out.sample('brook_group_lag', `{${labelsOf.get(v.groupId)},topic="${escapeLabelValue(p.topic)}",partition="${p.partition}"}`, p.lag);
    }
  }
}

function writeBroker(out: ExpositionWriter, sources: ScrapeSources): void {
  const readiness = sources.broker.readiness();
  out.family('brook_ready', 'gauge', '1 once recovery finished and every partition is open, none offline (/readyz).').sample('brook_ready', '', readiness.ready ? 1 : 0);
  out.family('brook_partitions_open', 'gauge', 'Partitions whose log is open.').sample('brook_partitions_open', '', readiness.partitionsOpen);
  out.family('brook_partitions_offline', 'gauge', 'Partitions that cannot serve: their open failed, or their worker is gone for good (logged; /readyz names them).').sample('brook_partitions_offline', '', readiness.partitionsOffline);
  out.family('brook_partitions', 'gauge', 'Partitions of all topics.').sample('brook_partitions', '', readiness.partitionsTotal);
  const workers = sources.broker.workerStats().map((w) => ({ ...w, labels: `{kind="${w.kind}",worker="${w.index}"}` }));
  const families: [string, 'gauge' | 'counter', string, (w: (typeof workers)[number]) => number][] = [
    ['brook_worker_partitions', 'gauge', 'Partitions the worker owns.', (w) => w.partitionCount],
    ['brook_worker_ring_used_bytes', 'gauge', 'Bytes waiting in the worker\'s produce ring.', (w) => w.ringUsedBytes],
    ['brook_worker_ring_capacity_bytes', 'gauge', 'Capacity of the worker\'s produce ring.', (w) => w.ringCapacityBytes],
    ['brook_worker_queued_produces', 'gauge', 'Produces queued for the worker (waiting for ring space, in the ring, or being appended; coordinators: requests waiting).', (w) => w.queuedProduceCount],
    ['brook_worker_restarts_total', 'counter', 'Times the worker was restarted after dying.', (w) => w.restartCount],
  ];
  for (const [name, type, help, value] of families) {
    out.family(name, type, help);
    for (const w of workers) out.sample(name, w.labels, value(w));
  }
  const connections = sources.connections?.() ?? {};
  out.family('brook_connections', 'gauge', 'Open client connections, by listener.');
  for (const [listener, count] of Object.entries(connections)) out.sample('brook_connections', `{listener="${listener}"}`, count);
  sources.requests?.write(out);
}

/**
 * The whole exposition (UTF-8) for the caller of `sources.access`. `labels` keeps the partitions'
 * label sets between scrapes (a scrape without one renders them afresh).
 */
export async function scrape(sources: ScrapeSources, labels = new LabelCache()): Promise<Buffer> {
  const out = new ExpositionWriter();
  const table = partitionTable(sources, labels);
  out.family('brook_topic_partitions', 'gauge', 'Partitions of the topic.');
  for (const t of table.topics) out.sample('brook_topic_partitions', t.labels, t.partitionCount);
  for (const [name, type, help, column] of PARTITION_FAMILIES) {
    out.family(name, type, help).samples(name, table.labels, table.columns[column]!, table.count);
    // Let produce completions and requests run between families: at 10,000 partitions one
    // family is ~10,000 lines, and the whole scrape would otherwise hold the event loop at once.
    if (table.count > YIELD_ROWS_MIN) await nextTurn();
  }
  await writeGroups(out, sources);
  if (sources.access.seesCluster()) {
    writeBroker(out, sources);
    await sources.process?.write(out);
  }
  return out.toBuffer();
}
