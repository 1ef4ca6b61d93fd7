/**
 * One /metrics scrape: every family, filtered by what the caller may describe (topic series need
 * describe on the topic, group series on the group, broker-wide series on the cluster).
 *
 * Cost at scale: partition series come from the state each partition worker publishes in shared
 * memory and from the traffic counters (no partition log opened, no file touched); each label set
 * is rendered once per scrape and reused by every family. docs/benchmarks.md has a scrape's time
 * and size at 10,000 partitions. Main thread.
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

interface PartitionRow {
  labels: string;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segmentCount: number;
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

type NumericField = Exclude<keyof PartitionRow, 'labels'>;

/** [family, type, help, field] for every per-partition family, in exposition order. */
const PARTITION_FAMILIES: readonly [string, 'counter' | 'gauge', string, NumericField][] = [
  ['brook_partition_records_in_total', 'counter', 'Records appended to the partition since the broker started.', 'recordsIn'],
  ['brook_partition_bytes_in_total', 'counter', 'Record batch bytes appended to the partition since the broker started.', 'bytesIn'],
  ['brook_partition_records_out_total', 'counter', 'Records fetched from the partition since the broker started (whole batches, as sent).', 'recordsOut'],
  ['brook_partition_bytes_out_total', 'counter', 'Record batch bytes fetched from the partition since the broker started.', 'bytesOut'],
  ['brook_partition_log_start_offset', 'gauge', 'The first offset still in the log (Kafka logStartOffset).', 'logStartOffset'],
  ['brook_partition_log_end_offset', 'gauge', 'The offset the next appended record gets (Kafka logEndOffset).', 'logEndOffset'],
  ['brook_partition_high_watermark', 'gauge', 'The offset consumers may read up to (Kafka highWatermark).', 'highWatermark'],
  ['brook_partition_size_bytes', 'gauge', 'Bytes of the partition\'s segments on disk.', 'sizeBytes'],
  ['brook_partition_segments', 'gauge', 'Segments in the partition\'s log.', 'segmentCount'],
];

function partitionRows({ broker, access }: ScrapeSources): { rows: PartitionRow[]; topics: { labels: string; partitionCount: number }[] } {
  const rows: PartitionRow[] = [];
  const topics: { labels: string; partitionCount: number }[] = [];
  for (const topic of broker.topics()) {
    if (!access.seesTopic(topic.name)) continue;
    const topicLabel = `topic="${escapeLabelValue(topic.name)}"`;
    topics.push({ labels: `{${topicLabel}}`, partitionCount: topic.partitionCount });
    for (let p = 0; p < topic.partitionCount; p++) {
      const state = broker.partitionState(topic.name, p);
      if (state === undefined) continue;
      const traffic = broker.traffic.partition(topic.name, p);
      rows.push({ labels: `{${topicLabel},partition="${p}"}`, ...state, ...traffic });
    }
  }
  return { rows, topics };
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

/** The whole exposition (UTF-8) for the caller of `sources.access`. */
export async function scrape(sources: ScrapeSources): Promise<Buffer> {
  const out = new ExpositionWriter();
  const { rows, topics } = partitionRows(sources);
  out.family('brook_topic_partitions', 'gauge', 'Partitions of the topic.');
  for (const t of topics) out.sample('brook_topic_partitions', t.labels, t.partitionCount);
  for (const [name, type, help, field] of PARTITION_FAMILIES) {
    out.family(name, type, help);
    for (const row of rows) out.sample(name, row.labels, row[field]);
    // Let produce completions and requests run between families: at 10,000 partitions one
    // family is ~10,000 lines, and the whole scrape would otherwise hold the event loop at once.
    if (rows.length > YIELD_ROWS_MIN) await nextTurn();
  }
  await writeGroups(out, sources);
  if (sources.access.seesCluster()) {
    writeBroker(out, sources);
    await sources.process?.write(out);
  }
  return out.toBuffer();
}
