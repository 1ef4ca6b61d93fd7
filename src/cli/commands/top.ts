/**
 * `brook top`: a live terminal view of a broker (as `vector top` or htop): per topic records/s,
 * bytes/s, messages and size; the busiest partitions; per consumer group its state, members, lag
 * and the lag's trend. Works through the backend like every command (on a data dir, or a running
 * broker with --broker), sampling every --interval seconds. Records/s is the growth of the
 * partitions' high watermarks; bytes/s the growth of their size on disk (over --broker from
 * DescribeLogDirs; '-' where the broker refuses it). On a TTY the view
 * refreshes in place until q or Ctrl-C; otherwise (or with --json) it prints --iterations
 * snapshots (default 1, taken one interval apart so rates are there) and exits.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BrookBackend } from '../../embedded/backend.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { action, parsePositiveInteger, type CommandContext } from '../context.js';
import { formatBytes } from '../throughput.js';

/** Samples of lag kept per group for the trend sparkline. */
const TREND_SAMPLES = 30;
const SPARK = '▁▂▃▄▅▆▇█';
const PARTITION_ROWS_MAX = 10;

interface PartitionSample { partition: number; logStartOffset: number; highWatermark: number; sizeBytes: number }
interface TopicSample { name: string; partitions: PartitionSample[] }
interface GroupSample { groupId: string; state: string; memberCount: number; partitions: { topic: string; partition: number; committedOffset: number; lag: number | null }[] }
export interface Sample { timeMs: number; topics: TopicSample[]; groups: GroupSample[] }

export interface TopReport {
  timeMs: number;
  intervalMs: number | null;
  topics: { name: string; partitionCount: number; recordsPerSec: number | null; bytesPerSec: number | null; messageCount: number; sizeBytes: number | null }[];
  partitions: { topic: string; partition: number; highWatermark: number; sizeBytes: number | null; recordsPerSec: number | null }[];
  groups: { groupId: string; state: string; memberCount: number; totalLag: number; lagPerSec: number | null; lagHistory: number[]; partitions: GroupSample['partitions'] }[];
}

async function sampleGroups(backend: BrookBackend, highWatermarks: Map<string, number>): Promise<GroupSample[]> {
  const transport = backend.groups;
  if (transport === undefined) return [];
  const listed = (await transport.listGroups({})).groups.map((g) => g.groupId).sort();
  if (listed.length === 0) return [];
  const described = new Map((await transport.describeGroups({ groups: listed })).groups.map((g) => [g.groupId, g]));
  return Promise.all(listed.map(async (groupId) => {
    const fetched = await transport.offsetFetch({ groupId, topics: null });
    const partitions = fetched.errorCode !== ErrorCode.NONE ? [] : fetched.topics.flatMap((t) => t.partitions.filter((p) => p.committedOffset >= 0).map((p) => {
      const hw = highWatermarks.get(`${t.name}\0${p.partitionIndex}`);
      return { topic: t.name, partition: p.partitionIndex, committedOffset: p.committedOffset, lag: hw === undefined ? null : Math.max(0, hw - p.committedOffset) };
    }));
    const group = described.get(groupId);
    return { groupId, state: group?.groupState ?? 'Unknown', memberCount: group?.members.length ?? 0, partitions };
  }));
}

async function sample(backend: BrookBackend): Promise<Sample> {
  const timeMs = Date.now();
  const topics: TopicSample[] = [];
  const highWatermarks = new Map<string, number>();
  for (const listed of await backend.listTopics()) {
    if (listed.internal) continue;
    const details = await backend.describeTopic(listed.name);
    if (details === undefined) continue;
    topics.push({ name: details.name, partitions: details.partitions.map(({ partition, logStartOffset, highWatermark, sizeBytes }) => ({ partition, logStartOffset, highWatermark, sizeBytes })) });
    for (const p of details.partitions) highWatermarks.set(`${details.name}\0${p.partition}`, p.highWatermark);
  }
  return { timeMs, topics, groups: await sampleGroups(backend, highWatermarks) };
}

const perSec = (now: number, before: number | undefined, seconds: number | null): number | null =>
  before === undefined || seconds === null || seconds <= 0 || now < 0 || before < 0 ? null : Math.max(0, (now - before) / seconds);

/** Rates between two samples; `history` carries each group's recent total lag across calls. */
export function buildReport(previous: Sample | null, current: Sample, history: Map<string, number[]>): TopReport {
  const seconds = previous === null ? null : (current.timeMs - previous.timeMs) / 1000;
  const before = new Map<string, PartitionSample>();
  for (const t of previous?.topics ?? []) for (const p of t.partitions) before.set(`${t.name}\0${p.partition}`, p);
  const partitions: TopReport['partitions'] = [];
  const topics = current.topics.map((t) => {
    let recordsPerSec: number | null = previous === null ? null : 0;
    let bytesPerSec: number | null = previous === null ? null : 0;
    let sizeBytes: number | null = 0;
    let messageCount = 0;
    for (const p of t.partitions) {
      const was = before.get(`${t.name}\0${p.partition}`);
      const records = perSec(p.highWatermark, was?.highWatermark, seconds);
      const bytes = perSec(p.sizeBytes, was?.sizeBytes, seconds);
      recordsPerSec = recordsPerSec === null || records === null ? recordsPerSec : recordsPerSec + records;
      bytesPerSec = bytesPerSec === null || bytes === null ? null : bytesPerSec + bytes;
      sizeBytes = sizeBytes === null || p.sizeBytes < 0 ? null : sizeBytes + p.sizeBytes;
      messageCount += p.highWatermark - p.logStartOffset;
      partitions.push({ topic: t.name, partition: p.partition, highWatermark: p.highWatermark, sizeBytes: p.sizeBytes < 0 ? null : p.sizeBytes, recordsPerSec: records });
    }
    return { name: t.name, partitionCount: t.partitions.length, recordsPerSec, bytesPerSec, messageCount, sizeBytes };
  });
  // The busiest partitions first (then the largest), as top sorts by CPU.
  partitions.sort((a, b) => (b.recordsPerSec ?? 0) - (a.recordsPerSec ?? 0) || (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0) || b.highWatermark - a.highWatermark);
  const groups = current.groups.map((g) => {
    const totalLag = g.partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
    const lagHistory = [...(history.get(g.groupId) ?? []), totalLag].slice(-TREND_SAMPLES);
    history.set(g.groupId, lagHistory);
    const lagPerSec = lagHistory.length < 2 || seconds === null ? null : (lagHistory[lagHistory.length - 1]! - lagHistory[lagHistory.length - 2]!) / seconds;
    return { groupId: g.groupId, state: g.state, memberCount: g.memberCount, totalLag, lagPerSec, lagHistory, partitions: g.partitions };
  });
  return { timeMs: current.timeMs, intervalMs: seconds === null ? null : seconds * 1000, topics, partitions, groups };
}

function sparkline(values: readonly number[]): string {
  const max = Math.max(...values, 1);
  return values.map((v) => SPARK[Math.min(SPARK.length - 1, Math.round((v / max) * (SPARK.length - 1)))]).join('');
}

const count = (n: number | null): string => (n === null ? '-' : Math.round(n).toLocaleString('en-US'));
const bytes = (n: number | null): string => (n === null ? '-' : formatBytes(n));

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The screen: a header line, then topics, the busiest partitions and groups, each as a table. */
export function renderReport(report: TopReport, source: string, interactive: boolean): string {
  const time = new Date(report.timeMs).toISOString().replace('T', ' ').slice(0, 19);
  const lines = [`brook top  ${source}  ${time} UTC${interactive ? '  (q or Ctrl-C quits)' : ''}`, ''];
  const numbers = new Set([1, 2, 3, 4, 5]);
  lines.push(...table(['TOPIC', 'PARTITIONS', 'RECORDS/S', 'BYTES/S', 'MESSAGES', 'SIZE'], report.topics.map((t) => [
    t.name, String(t.partitionCount), count(t.recordsPerSec), t.bytesPerSec === null ? '-' : `${formatBytes(t.bytesPerSec)}/s`, count(t.messageCount), bytes(t.sizeBytes),
  ]), numbers));
  if (report.topics.length === 0) lines.push('(no topics)');
  lines.push('');
  lines.push(...table(['PARTITION', 'HIGH-WATERMARK', 'RECORDS/S', 'SIZE'], report.partitions.slice(0, PARTITION_ROWS_MAX).map((p) => [
    `${p.topic}-${p.partition}`, count(p.highWatermark), count(p.recordsPerSec), bytes(p.sizeBytes),
  ]), new Set([1, 2, 3])));
  lines.push('');
  lines.push(...table(['GROUP', 'STATE', 'MEMBERS', 'LAG', 'LAG/S', 'TREND'], report.groups.map((g) => [
    g.groupId, g.state, String(g.memberCount), count(g.totalLag), g.lagPerSec === null ? '-' : `${g.lagPerSec > 0 ? '+' : ''}${Math.round(g.lagPerSec).toLocaleString('en-US')}`, sparkline(g.lagHistory),
  ]), new Set([2, 3, 4])));
  if (report.groups.length === 0) lines.push('(no consumer groups)');
  return `${lines.join('\n')}\n`;
}

function parseSeconds(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) throw new InvalidArgumentError('must be a number of seconds between 0.1 and 3600');
  return seconds;
}

/** Waits `ms` unless `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface TopOptions { interval: number; json?: boolean; iterations?: number }

async function runTop(ctx: CommandContext, opts: TopOptions): Promise<void> {
  const backend = await ctx.backend({ autoCreateTopics: false });
  const source = ctx.globals.broker ?? ctx.globals.dataDir;
  const interactive = process.stdout.isTTY === true && opts.json !== true && opts.iterations === undefined;
  const stop = new AbortController();
  ctx.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const keys = (chunk: Buffer) => {
    if (chunk.includes(0x71 /* q */) || chunk.includes(0x03 /* Ctrl-C in raw mode */)) stop.abort();
  };
  if (interactive && process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', keys).resume();
  }
  const history = new Map<string, number[]>();
  let previous: Sample | null = null;
  let printed = 0;
  const wanted = opts.iterations ?? (interactive ? Infinity : 1);
  if (interactive) process.stdout.write('\x1b[?25l'); // hide the cursor while drawing
  try {
    while (!stop.signal.aborted && printed < wanted) {
      const current = await sample(backend);
      const report = buildReport(previous, current, history);
      previous = current;
      // Piped output waits for a second sample so every printed snapshot has its rates.
      if (interactive) {
        // Home, redraw each line clearing its rest, clear below: no flicker, no scrolling.
        process.stdout.write(`\x1b[H${renderReport(report, source, true).replace(/\n/g, '\x1b[K\n')}\x1b[J`);
      } else if (report.intervalMs !== null) {
        process.stdout.write(opts.json === true ? `${JSON.stringify(report)}\n` : renderReport(report, source, false));
        printed++;
        if (printed >= wanted) break;
      }
      await pause(opts.interval * 1000, stop.signal);
    }
  } finally {
    if (interactive) {
      process.stdout.write('\x1b[?25h\n');
      if (process.stdin.isTTY) {
        process.stdin.off('data', keys).setRawMode(false);
        process.stdin.pause();
      }
    }
  }
}

export function topCommand(): Command {
  return new Command('top')
    .description('live view of topics (records/s, bytes/s, sizes), the busiest partitions, and consumer groups (lag and its trend)')
    .addOption(new Option('-i, --interval <seconds>', 'time between samples').default(2).argParser(parseSeconds))
    .addOption(new Option('--json', 'print each snapshot as one JSON line (rates included) instead of the table'))
    .addOption(new Option('-n, --iterations <n>', 'print n snapshots and exit (default on a TTY: refresh until q; otherwise 1)').argParser(parsePositiveInteger))
    .addHelpText('after', `
Records/s is the growth of the high watermarks between samples; bytes/s the growth of the log size
on disk (over --broker from DescribeLogDirs; '-' where the broker refuses it). A group's lag
is its committed offsets behind the high watermarks; TREND draws the last ${TREND_SAMPLES} samples.

Examples:
  brook --broker 127.0.0.1:9092 top
  brook --broker 127.0.0.1:9092 top --json --interval 1 -n 5 | jq '.groups[] | {groupId, totalLag}'`)
    .action(action(async (ctx, opts: TopOptions) => runTop(ctx, opts)));
}
