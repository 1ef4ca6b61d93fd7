/**
 * The partition-density scenario behind `brook bench density`: what thousands of partitions cost a
 * real `brook serve` process. On a fresh data dir it times CreateTopics (one request of 1,000
 * partitions; 100 concurrent requests of 10), fills the dir to `topicCount` x `partitionsPerTopic`
 * partitions, and times SIGTERM; then restarts the server on that dir and measures the time to
 * listen, the time until every partition is open, idle CPU over `idleSeconds`, RSS and threads,
 * and SIGTERM again. Last, in this process, produce to one hot partition beside all those idle
 * partitions against the same on an empty data dir (the baseline, same run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaClient } from '../client/client.js';
import { Broker } from '../engine/broker.js';
import { runEngineCase } from './partition-scaling.js';
import { ProgressBar } from './progress.js';
import { machineInfo, median, round, type MachineInfo } from './stats.js';

export interface DensityOptions {
  topicCount: number;
  partitionsPerTopic: number;
  idleSeconds: number;
  /** Partition workers of the server (default: its own default, one per core). */
  workers?: number;
  /** Seconds of produce per hot-partition run (each side runs `hotRepetitions` times, interleaved). */
  hotSeconds: number;
  hotRepetitions: number;
  /** Default: a temp dir, removed afterwards. */
  dataDir?: string;
  progress?: boolean;
}

export interface DensityReport {
  benchmark: 'partition-density';
  startedAt: string;
  machine: MachineInfo;
  options: Omit<DensityOptions, 'progress'>;
  partitions: number;
  createTopics: { onePartitions: number; oneMs: number; concurrentRequests: number; concurrentPartitionsEach: number; concurrentMs: number };
  fill: { seconds: number };
  firstStopMs: number;
  restart: { listenMs: number; readyMs: number; idleCpuPercentOfCore: number; rssMiB: number; threads: number; stopMs: number };
  hot: { withIdleRecordsPerSec: number; emptyRecordsPerSec: number; ratio: number; runsWithIdle: number[]; runsEmpty: number[] };
  goals: { name: string; target: string; value: string; met: boolean }[];
}

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server/main.js');
/** Topics per CreateTopics request while filling the data dir. */
const FILL_TOPICS_PER_REQUEST = 100;
const REQUEST_TIMEOUT_MS = 600_000;

interface RunningServer {
  child: ChildProcess;
  address: string;
  listenMs: number;
  /** Resolves with ms from spawn to the "ready:" line (every partition open). */
  ready: Promise<number>;
}

function startServe(dataDir: string, workers: number | undefined): Promise<RunningServer> {
  const started = performance.now();
  const args = [SERVER_MAIN, '--port', '0', '--data-dir', dataDir, ...(workers === undefined ? [] : ['--workers', String(workers)])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  let markReady!: (ms: number) => void;
  const ready = new Promise<number>((resolve) => (markReady = resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`brook serve exited (${code}) before listening: ${stderr.slice(-1000)}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /listening on (\S+)\n/.exec(stdout);
      if (listening !== null && stdout.indexOf('\n', listening.index) >= 0) {
        resolve({ child, address: listening[1]!, listenMs: performance.now() - started, ready });
      }
      if (/\nready: /.test(stdout)) markReady(performance.now() - started);
    });
  });
}

/** SIGTERM; resolves with ms until the process exited (SIGKILL after 60 s, reported as such). */
function stopServe(child: ChildProcess): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve(performance.now() - started);
    });
    child.kill('SIGTERM');
  });
}

async function createTopicsRequest(client: KafkaClient, topics: { name: string; partitions: number }[]): Promise<void> {
  const response = await client.createTopics({
    topics: topics.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: REQUEST_TIMEOUT_MS,
  }, { timeoutMs: REQUEST_TIMEOUT_MS });
  const failed = response.topics.find((t) => t.errorCode !== 0);
  if (failed !== undefined) throw new Error(`CreateTopics ${failed.name}: error ${failed.errorCode} ${failed.errorMessage ?? ''}`);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** utime + stime of a process in seconds (/proc/<pid>/stat, in clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function statusField(pid: number, name: string): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDensity(options: DensityOptions): Promise<DensityReport> {
  const startedAt = new Date().toISOString();
  const ownDir = options.dataDir === undefined;
  const root = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'brook-density-'));
  const dataDir = path.join(root, 'dense');
  const emptyDir = path.join(root, 'empty');
  const partitions = options.topicCount * options.partitionsPerTopic;
  const bar = new ProgressBar(6 + 2 * options.hotRepetitions, process.stderr, options.progress);
  let server: RunningServer | null = null;
  try {
    bar.draw('CreateTopics on a fresh server');
    server = await startServe(dataDir, options.workers);
    const client = await KafkaClient.connect(server.address, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const wide = Math.min(1000, partitions);
    const oneMs = await timed(() => createTopicsRequest(client, [{ name: 'density-wide', partitions: wide }]));
    const concurrentRequests = Math.min(100, options.topicCount);
    const clients = await Promise.all(Array.from({ length: 10 }, () => KafkaClient.connect(server!.address, { requestTimeoutMs: REQUEST_TIMEOUT_MS })));
    const concurrentMs = await timed(() => Promise.all(Array.from({ length: concurrentRequests }, (_, i) =>
      createTopicsRequest(clients[i % clients.length]!, [{ name: topicName(i), partitions: options.partitionsPerTopic }]))));
    for (const c of clients) c.close();
    bar.tick(`filling to ${partitions} partitions`);
    const response = await client.deleteTopics({ topicNames: ['density-wide'], timeoutMs: REQUEST_TIMEOUT_MS }, { timeoutMs: REQUEST_TIMEOUT_MS });
    if (response.responses.some((r) => r.errorCode !== 0)) throw new Error('DeleteTopics density-wide failed');
    const fillMs = await timed(async () => {
      for (let first = concurrentRequests; first < options.topicCount; first += FILL_TOPICS_PER_REQUEST) {
        const names = Array.from({ length: Math.min(FILL_TOPICS_PER_REQUEST, options.topicCount - first) }, (_, i) => topicName(first + i));
        await createTopicsRequest(client, names.map((name) => ({ name, partitions: options.partitionsPerTopic })));
      }
    });
    client.close();
    bar.tick('SIGTERM with every partition open');
    const firstStopMs = await stopServe(server.child);
    server = null;

    bar.tick(`restart on ${partitions} partitions`);
    server = await startServe(dataDir, options.workers);
    const listenMs = server.listenMs;
    const readyMs = await server.ready;
    bar.tick(`idle for ${options.idleSeconds} s`);
    await sleep(1000); // whatever the start-up left (GC, JIT) settles first
    const pid = server.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    await sleep(options.idleSeconds * 1000);
    const idleCpuPercentOfCore = ((cpuSeconds(pid) - cpuBefore) / options.idleSeconds) * 100;
    const rssMiB = statusField(pid, 'VmRSS') / 1024;
    const threads = statusField(pid, 'Threads');
    bar.tick('SIGTERM after the restart');
    const stopMs = await stopServe(server.child);
    server = null;
    bar.tick('hot partition');

    const hot = await hotPartition(dataDir, emptyDir, options, bar);
    const report: DensityReport = {
      benchmark: 'partition-density',
      startedAt,
      machine: machineInfo(),
      options: { ...options, progress: undefined } as Omit<DensityOptions, 'progress'>,
      partitions,
      createTopics: { onePartitions: wide, oneMs: round(oneMs), concurrentRequests, concurrentPartitionsEach: options.partitionsPerTopic, concurrentMs: round(concurrentMs) },
      fill: { seconds: round(fillMs / 1000, 2) },
      firstStopMs: round(firstStopMs),
      restart: { listenMs: round(listenMs), readyMs: round(readyMs), idleCpuPercentOfCore: round(idleCpuPercentOfCore, 2), rssMiB: round(rssMiB), threads, stopMs: round(stopMs) },
      hot,
      goals: [],
    };
    report.goals = densityGoals(report);
    return report;
  } finally {
    bar.finish();
    if (server !== null) await stopServe(server.child);
    if (ownDir) fs.rmSync(root, { recursive: true, force: true });
  }
}

function topicName(i: number): string {
  return `density-${String(i).padStart(5, '0')}`;
}

/** One partition's produce (100 B records) beside the dense dir's idle partitions, and on an empty dir; interleaved. */
async function hotPartition(denseDir: string, emptyDir: string, options: DensityOptions, bar: ProgressBar): Promise<DensityReport['hot']> {
  const spec = { recordBytes: 100, recordCount: 1_000_000, durationMs: options.hotSeconds * 1000, minDurationMs: options.hotSeconds * 1000 };
  const runsWithIdle: number[] = [];
  const runsEmpty: number[] = [];
  const workers = options.workers === undefined ? {} : { workers: options.workers };
  for (let rep = 0; rep < options.hotRepetitions; rep++) {
    for (const [dir, runs, label] of [[emptyDir, runsEmpty, 'empty'], [denseDir, runsWithIdle, 'beside the idle partitions']] as const) {
      bar.draw(`hot partition ${label} (${rep + 1}/${options.hotRepetitions})`);
      const broker = await Broker.open({ dataDir: dir, ...workers, groups: false });
      try {
        runs.push((await runEngineCase(broker, `hot-${rep}`, 1, spec)).produce.recordsPerSec);
      } finally {
        await broker.close();
      }
      bar.tick(label);
    }
  }
  const withIdleRecordsPerSec = Math.round(median(runsWithIdle));
  const emptyRecordsPerSec = Math.round(median(runsEmpty));
  return { withIdleRecordsPerSec, emptyRecordsPerSec, ratio: round(withIdleRecordsPerSec / emptyRecordsPerSec, 3), runsWithIdle: runsWithIdle.map(Math.round), runsEmpty: runsEmpty.map(Math.round) };
}

function densityGoals(r: DensityReport): DensityReport['goals'] {
  const goal = (name: string, target: string, value: string, met: boolean) => ({ name, target, value, met });
  return [
    goal(`listening after a start on ${r.partitions} partitions`, '<= 10 s', `${(r.restart.listenMs / 1000).toFixed(2)} s`, r.restart.listenMs <= 10_000),
    goal('idle CPU over the idle window', '< 2% of a core', `${r.restart.idleCpuPercentOfCore.toFixed(2)}%`, r.restart.idleCpuPercentOfCore < 2),
    goal('RSS with every partition open', '< 1 GiB', `${Math.round(r.restart.rssMiB)} MiB`, r.restart.rssMiB < 1024),
    goal('SIGTERM to exit', '<= 5 s', `${(r.restart.stopMs / 1000).toFixed(2)} s`, r.restart.stopMs <= 5000),
    goal(`one CreateTopics of ${r.createTopics.onePartitions} partitions`, '<= 2 s', `${(r.createTopics.oneMs / 1000).toFixed(2)} s`, r.createTopics.oneMs <= 2000),
    goal(`${r.createTopics.concurrentRequests} concurrent CreateTopics of ${r.createTopics.concurrentPartitionsEach}`, '<= 5 s', `${(r.createTopics.concurrentMs / 1000).toFixed(2)} s`, r.createTopics.concurrentMs <= 5000),
    goal('one hot partition beside the idle ones vs none', '>= 90%', `${Math.round(r.hot.ratio * 100)}%`, r.hot.ratio >= 0.9),
  ];
}

export function formatDensityReport(r: DensityReport): string {
  const lines = [
    `partition density: ${r.partitions} partitions (${r.options.topicCount} topics x ${r.options.partitionsPerTopic}), ${r.machine.cores} cores, ${r.machine.cpu}, Node ${r.machine.node}`,
    '',
    `CreateTopics, one request of ${r.createTopics.onePartitions} partitions   ${(r.createTopics.oneMs / 1000).toFixed(2)} s`,
    `CreateTopics, ${r.createTopics.concurrentRequests} concurrent of ${r.createTopics.concurrentPartitionsEach} partitions      ${(r.createTopics.concurrentMs / 1000).toFixed(2)} s`,
    `filling to ${r.partitions} partitions                  ${r.fill.seconds.toFixed(2)} s`,
    `SIGTERM to exit (fresh server)                ${(r.firstStopMs / 1000).toFixed(2)} s`,
    `restart: listening after                      ${(r.restart.listenMs / 1000).toFixed(2)} s`,
    `restart: every partition open after          ${(r.restart.readyMs / 1000).toFixed(2)} s`,
    `idle CPU                                      ${r.restart.idleCpuPercentOfCore.toFixed(2)}% of a core`,
    `RSS / threads                                 ${Math.round(r.restart.rssMiB)} MiB / ${r.restart.threads}`,
    `SIGTERM to exit (after restart)               ${(r.restart.stopMs / 1000).toFixed(2)} s`,
    `hot partition, 100 B records: beside ${r.partitions} idle ${r.hot.withIdleRecordsPerSec.toLocaleString('en-US')}/s, empty dir ${r.hot.emptyRecordsPerSec.toLocaleString('en-US')}/s (${Math.round(r.hot.ratio * 100)}%)`,
    '',
    'goals:',
    ...r.goals.map((g) => `  ${g.met ? 'met    ' : 'MISSED '} ${g.name}: ${g.value} (goal ${g.target})`),
  ];
  return lines.join('\n') + '\n';
}
