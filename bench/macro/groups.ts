/**
 * Consumer groups, end to end against a real `brook serve` process (dist/src/server/main.js):
 *
 * 1. Rebalance time: a kafkajs group of 10 members on a 20-partition topic; each round an 11th
 *    member joins and we time from its `run()` until all 11 hold disjoint assignments covering
 *    every partition; it then leaves and the group settles back to 10. p50/p99 over the rounds.
 *    (group.initial.rebalance.delay.ms is 0 here, so the figure is the protocol's own cost.)
 * 2. Group consumption vs plain partition consumption with the same client (kcat/librdkafka):
 *    `kcat -G` (FindCoordinator, Join/Sync, heartbeats, commits) against `kcat -C -e` reading the
 *    same partitions without a group. The ratio is the figure that matters on a noisy 2-core VM.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/macro/groups.js [--quick]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { describeMachine, machineInfo, percentileSorted, round } from '../../src/bench-lib/stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN_PATH = path.resolve(here, '../../src/server/main.js');

export interface GroupsBenchOptions {
  rounds: number;
  groupSize: number;
  recordCount: number;
  recordBytes: number;
}

export interface GroupsBenchReport {
  machine: ReturnType<typeof machineInfo>;
  rebalanceMs: { p50: number; p99: number; samples: number[] };
  groupRecordsPerSec: number | null;
  plainRecordsPerSec: number | null;
}

const FULL: GroupsBenchOptions = { rounds: 10, groupSize: 10, recordCount: 200_000, recordBytes: 100 };
const QUICK: GroupsBenchOptions = { rounds: 4, groupSize: 10, recordCount: 50_000, recordBytes: 100 };

async function startServer(dataDir: string): Promise<{ broker: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [MAIN_PATH, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error('server exited before listening')));
  });
  return { broker: `127.0.0.1:${port}`, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Member { consumer: Consumer; assignment: number[] | null }

function settled(members: Member[], partitionCount: number): boolean {
  const seen = new Set<number>();
  for (const m of members) {
    if (m.assignment === null) return false;
    for (const p of m.assignment) {
      if (seen.has(p)) return false;
      seen.add(p);
    }
  }
  return seen.size === partitionCount;
}

async function measureRebalances(broker: string, options: GroupsBenchOptions): Promise<number[]> {
  const topic = 'rebalance';
  const partitionCount = options.groupSize * 2;
  const kafka = new Kafka({ brokers: [broker], clientId: 'bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitionCount }] });
  await admin.disconnect();
  const start = async (): Promise<Member> => {
    const consumer = kafka.consumer({ groupId: 'bench-group', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const member: Member = { consumer, assignment: null };
    consumer.on(consumer.events.GROUP_JOIN, (e) => (member.assignment = e.payload.memberAssignment[topic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => {} });
    return member;
  };
  const members: Member[] = [];
  for (let i = 0; i < options.groupSize; i++) members.push(await start());
  await until(() => settled(members, partitionCount));
  const samples: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const t0 = performance.now();
    const extra = await start();
    members.push(extra);
    await until(() => settled(members, partitionCount));
    samples.push(performance.now() - t0);
    members.pop();
    await extra.consumer.disconnect();
    await until(() => settled(members, partitionCount));
  }
  await Promise.all(members.map((m) => m.consumer.disconnect()));
  return samples;
}

function kcatAvailable(): boolean {
  return spawnSync('kcat', ['-V']).status === 0;
}

/** Seconds for kcat to read `count` records with these arguments. */
function timeKcat(args: string[]): number {
  const t0 = performance.now();
  const result = spawnSync('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  if (result.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${result.stderr}`);
  return (performance.now() - t0) / 1000;
}

async function measureThroughput(broker: string, options: GroupsBenchOptions): Promise<{ group: number; plain: number }> {
  const topic = 'throughput';
  const kafka = new Kafka({ brokers: [broker], clientId: 'bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(options.recordBytes, 'x');
  for (let sent = 0; sent < options.recordCount; sent += 5000) {
    const n = Math.min(5000, options.recordCount - sent);
    await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: String(sent + i), value })) });
  }
  await producer.disconnect();
  const n = options.recordCount;
  // Alternate to spread machine noise over both; one warm-up read first.
  timeKcat(['-b', broker, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
  const plain: number[] = [];
  const group: number[] = [];
  for (let i = 0; i < 2; i++) {
    plain.push(n / timeKcat(['-b', broker, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']));
    group.push(n / timeKcat(['-b', broker, '-G', `tp-${i}`, '-c', String(n), '-q', '-X', 'auto.offset.reset=earliest', topic]));
  }
  return { group: Math.max(...group), plain: Math.max(...plain) };
}

export async function run(options: Partial<GroupsBenchOptions> & { quick?: boolean } = {}): Promise<GroupsBenchReport> {
  const { quick, ...rest } = options;
  const opts = { ...(quick ? QUICK : FULL), ...rest };
  const machine = machineInfo();
  process.stdout.write(`groups bench\nmachine: ${describeMachine(machine)}\n`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-groups-'));
  const server = await startServer(dataDir);
  try {
    const samples = await measureRebalances(server.broker, opts);
    const sorted = [...samples].sort((a, b) => a - b);
    const rebalanceMs = { p50: round(percentileSorted(sorted, 50)), p99: round(percentileSorted(sorted, 99)), samples: samples.map((s) => round(s)) };
    process.stdout.write(`rebalance, 1 member joining a group of ${opts.groupSize} (${opts.rounds} rounds): p50 ${rebalanceMs.p50} ms, p99 ${rebalanceMs.p99} ms\n`);
    let groupRecordsPerSec: number | null = null;
    let plainRecordsPerSec: number | null = null;
    if (kcatAvailable()) {
      const t = await measureThroughput(server.broker, opts);
      groupRecordsPerSec = Math.round(t.group);
      plainRecordsPerSec = Math.round(t.plain);
      process.stdout.write(`consume ${opts.recordCount} x ${opts.recordBytes} B records, 4 partitions, kcat: group ${groupRecordsPerSec} rec/s, plain ${plainRecordsPerSec} rec/s (ratio ${round(t.group / t.plain, 2)})\n`);
    } else {
      process.stdout.write('kcat not installed: skipping group vs plain consumption throughput\n');
    }
    return { machine, rebalanceMs, groupRecordsPerSec, plainRecordsPerSec };
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run({ quick: process.argv.includes('--quick') });
}
