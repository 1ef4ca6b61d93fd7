/**
 * Server memory under pressure: one real server process (dist/src/server/main.js), a backlog
 * produced first, then producers, lagging consumers, consumers reading the backlog with
 * fetch.max.bytes = 50 MiB, and stalled consumers that send a 50 MiB fetch and do not read it for
 * seconds. Samples the server's VmRSS and reads its VmHWM (peak RSS) from /proc, and compares the
 * peak with the bound the design gives (see `memoryBound`). The baseline measured in the same run
 * is the idle RSS before any load.
 * Run: `node dist/bench/macro/memory.js [backlogMiB] [producers] [consumers] [loadSeconds]`.
 * The load test (test/load/memory.test.ts) runs the same scenario and asserts peak <= bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KafkaClient } from '../../src/client/client.js';
import { FETCH_BYTES_IN_FLIGHT_MAX, FETCH_MAX_BYTES, MESSAGE_MAX_BYTES_DEFAULT, READ_BUFFER_POOL_BYTES_MAX, RING_BYTES_DEFAULT } from '../../src/common/limits.js';
import * as createTopicsApi from '../../src/protocol/apis/create-topics.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRequestFrame } from '../../src/protocol/headers.js';
import { encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';

const MiB = 1024 * 1024;

export interface MemoryScenarioOptions {
  backlogBytes: number;
  partitionCount: number;
  producerCount: number;
  /** Split: half read the backlog at 50 MiB, 3/10 lag (64 KiB fetches, pauses), 1/5 stall. */
  consumerCount: number;
  loadMs: number;
  log?: (line: string) => void;
}

export interface MemoryBoundTerms {
  idleRssBytes: number;
  ringBytes: number;
  fetchBudgetBytes: number;
  /** Pooled fetch read buffers (idle ones wait for reuse; lent ones may be up to 2x what they hold). */
  readBufferPoolBytes: number;
  /** Over budget a fetch still returns one whole batch (KIP-74); its buffer may hold one more. */
  batchPerFetchBytes: number;
  /** Produce requests in flight in this workload (one outstanding request per producer). */
  produceInFlightBytes: number;
  /** V8 heap growth, per-socket read buffers and GC lag: a fixed allowance. */
  runtimeSlackBytes: number;
}

export interface MemoryReport {
  idleRssBytes: number;
  peakRssBytes: number;
  boundBytes: number;
  terms: MemoryBoundTerms;
  backlogBytes: number;
  producedBatchCount: number;
  fetchedBytes: number;
  fetchCount: number;
  connectionCount: number;
  serverAlive: boolean;
  machine: { cores: number; cpu: string; node: string };
}

export const RUNTIME_SLACK_BYTES = 160 * MiB;

/** The design's bound for this workload: each term is a limit from src/common/limits.ts or a count. */
export function memoryBound(options: MemoryScenarioOptions, idleRssBytes: number, produceRequestBytes: number): { boundBytes: number; terms: MemoryBoundTerms } {
  const terms: MemoryBoundTerms = {
    idleRssBytes,
    ringBytes: options.partitionCount * RING_BYTES_DEFAULT,
    fetchBudgetBytes: FETCH_BYTES_IN_FLIGHT_MAX,
    readBufferPoolBytes: READ_BUFFER_POOL_BYTES_MAX,
    batchPerFetchBytes: options.consumerCount * 2 * MESSAGE_MAX_BYTES_DEFAULT,
    produceInFlightBytes: (options.producerCount + options.partitionCount) * produceRequestBytes,
    runtimeSlackBytes: RUNTIME_SLACK_BYTES,
  };
  const boundBytes = Object.values(terms).reduce((sum, bytes) => sum + bytes, 0);
  return { boundBytes, terms };
}

function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.dirname);
    dir = parent;
  }
  return dir;
}

export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

async function startServerProcess(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const main = path.join(repoRoot(), 'dist/src/server/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npx tsc -p tsconfig.json first`);
  const child = spawn(process.execPath, [main, '--port', '0', '--data-dir', dataDir, '--no-auto-create-topics'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const address = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (\S+:\d+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, address };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function nextOffsetAfter(records: Buffer | null, fetchOffset: number): number {
  let next = fetchOffset;
  for (const { header } of iterateBatches(records ?? Buffer.alloc(0))) next = header.baseOffset + header.lastOffsetDelta + 1;
  return next;
}

function fetchBody(topic: string, partition: number, fetchOffset: number, maxBytes: number): Partial<fetchApi.FetchRequest> {
  return {
    maxWaitMs: 200,
    minBytes: 1,
    maxBytes,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition, fetchOffset, partitionMaxBytes: maxBytes }] }],
  };
}

interface Counters {
  fetchedBytes: number;
  fetchCount: number;
  producedBatchCount: number;
}

/** Fetches in a loop until `deadline`; at the high watermark it starts over from 0 (a replay). */
async function consumeLoop(client: KafkaClient, topic: string, partition: number, maxBytes: number, pauseMs: number, deadline: number, counters: Counters): Promise<void> {
  let offset = 0;
  while (Date.now() < deadline) {
    const response = await client.fetch(fetchBody(topic, partition, offset, maxBytes));
    const data = response.responses[0]!.partitions[0]!;
    if (data.errorCode !== 0) throw new Error(`fetch error ${data.errorCode}`);
    counters.fetchCount++;
    counters.fetchedBytes += data.records?.length ?? 0;
    const next = nextOffsetAfter(data.records, offset);
    offset = next >= data.highWatermark && next === offset ? 0 : next;
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/** A raw socket that asks for 50 MiB from offset 0 and reads nothing for `stallMs`, repeatedly. */
async function stalledConsumer(address: string, topic: string, partition: number, stallMs: number, deadline: number, counters: Counters): Promise<void> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  socket.pause();
  let pending = Buffer.alloc(0);
  try {
    for (let correlationId = 1; Date.now() < deadline; correlationId++) {
      const body = { ...fetchApi.defaultRequest(), ...fetchBody(topic, partition, 0, FETCH_MAX_BYTES) };
      for (const chunk of encodeRequestFrame(ApiKey.Fetch, 11, correlationId, 'stalled', body)) socket.write(chunk);
      await sleep(stallMs);
      // Now read the whole response (size prefix + frame), then go again.
      for (;;) {
        if (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) break;
        const chunk: Buffer | null = socket.read();
        if (chunk === null) {
          await new Promise((resolve) => socket.once('readable', resolve));
          continue;
        }
        pending = Buffer.concat([pending, chunk]);
      }
      const frameBytes = 4 + pending.readInt32BE(0);
      counters.fetchCount++;
      counters.fetchedBytes += frameBytes;
      pending = pending.subarray(frameBytes);
    }
  } finally {
    socket.destroy();
  }
}

async function produceLoop(client: KafkaClient, topic: string, partition: number, batch: Buffer, pauseMs: number, deadline: number, counters: Counters): Promise<void> {
  while (Date.now() < deadline) {
    const response = await client.produce({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
    const code = response!.responses[0]!.partitionResponses[0]!.errorCode;
    if (code !== 0) throw new Error(`produce error ${code}`);
    counters.producedBatchCount++;
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

async function produceBacklog(address: string, topic: string, options: MemoryScenarioOptions, counters: Counters): Promise<void> {
  const values = Array.from({ length: 1000 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i & 0xff) }));
  const batch = encodeRecordBatch(values);
  const batchesPerPartition = Math.ceil(options.backlogBytes / batch.length / options.partitionCount);
  await Promise.all(
    Array.from({ length: options.partitionCount }, async (_, partition) => {
      const client = await KafkaClient.connect(address, { clientId: `backlog-${partition}` });
      try {
        for (let i = 0; i < batchesPerPartition; i++) {
          const response = await client.produce({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
          if (response!.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('backlog produce failed');
          counters.producedBatchCount++;
        }
      } finally {
        await client.close();
      }
    }),
  );
}

async function connectAll(address: string, count: number, prefix: string): Promise<KafkaClient[]> {
  const clients: KafkaClient[] = [];
  // A few at a time: 400 simultaneous handshakes on 2 cores only measure the accept queue.
  for (let i = 0; i < count; i += 20) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => KafkaClient.connect(address, { clientId: `${prefix}-${i + j}`, requestTimeoutMs: 60_000 })))));
  }
  return clients;
}

export async function runMemoryScenario(options: MemoryScenarioOptions): Promise<MemoryReport> {
  const log = options.log ?? (() => {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-memory-'));
  const { child, address } = await startServerProcess(dataDir);
  const pid = child.pid!;
  const counters: Counters = { fetchedBytes: 0, fetchCount: 0, producedBatchCount: 0 };
  let sampledPeakBytes = 0;
  const sampler = setInterval(() => {
    try {
      sampledPeakBytes = Math.max(sampledPeakBytes, procStatusBytes(pid, 'VmRSS'));
    } catch {
      // The process is gone; the caller sees serverAlive = false.
    }
  }, 100);
  const clients: KafkaClient[] = [];
  try {
    const topic = 'memory-load';
    const admin = await KafkaClient.connect(address);
    clients.push(admin);
    const created = await admin.createTopics({ topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: topic, numPartitions: options.partitionCount, replicationFactor: 1 }], timeoutMs: 30_000 });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic failed: ${created.topics[0]!.errorCode}`);
    await sleep(500);
    const idleRssBytes = procStatusBytes(pid, 'VmRSS');
    log(`idle RSS ${(idleRssBytes / MiB).toFixed(0)} MiB; producing a ${(options.backlogBytes / MiB).toFixed(0)} MiB backlog`);
    await produceBacklog(address, topic, options, counters);
    log(`backlog done (RSS ${(procStatusBytes(pid, 'VmRSS') / MiB).toFixed(0)} MiB); connecting ${options.producerCount} producers and ${options.consumerCount} consumers`);

    const producers = await connectAll(address, options.producerCount, 'producer');
    const readerCount = Math.floor(options.consumerCount / 2);
    const laggerCount = Math.floor((options.consumerCount * 3) / 10);
    const stalledCount = options.consumerCount - readerCount - laggerCount;
    const consumers = await connectAll(address, readerCount + laggerCount, 'consumer');
    clients.push(...producers, ...consumers);
    const smallBatch = encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(1000, i) })));
    const deadline = Date.now() + options.loadMs;
    const P = options.partitionCount;
    await Promise.all([
      ...producers.map((client, i) => produceLoop(client, topic, i % P, smallBatch, 100, deadline, counters)),
      ...consumers.map((client, i) =>
        i < readerCount
          ? consumeLoop(client, topic, i % P, FETCH_MAX_BYTES, 0, deadline, counters)
          : consumeLoop(client, topic, i % P, 64 * 1024, 250, deadline, counters),
      ),
      ...Array.from({ length: stalledCount }, (_, i) => stalledConsumer(address, topic, i % P, 3000, deadline, counters)),
    ]);
    const peakRssBytes = Math.max(sampledPeakBytes, procStatusBytes(pid, 'VmHWM'));
    const { boundBytes, terms } = memoryBound(options, idleRssBytes, smallBatch.length + 256);
    const serverAlive = child.exitCode === null && child.signalCode === null;
    return {
      idleRssBytes,
      peakRssBytes,
      boundBytes,
      terms,
      backlogBytes: options.backlogBytes,
      producedBatchCount: counters.producedBatchCount,
      fetchedBytes: counters.fetchedBytes,
      fetchCount: counters.fetchCount,
      connectionCount: options.producerCount + options.consumerCount,
      serverAlive,
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    clearInterval(sampler);
    for (const client of clients) client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatReport(report: MemoryReport): string {
  const m = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
  const t = report.terms;
  return [
    `memory under load — ${report.machine.cores} cores, ${report.machine.cpu}, Node ${report.machine.node}`,
    `${report.connectionCount} connections, backlog ${m(report.backlogBytes)}, ${report.producedBatchCount} batches produced, ${report.fetchCount} fetches, ${m(report.fetchedBytes)} fetched`,
    `peak RSS ${m(report.peakRssBytes)} (idle ${m(report.idleRssBytes)}) <= bound ${m(report.boundBytes)}: ${report.peakRssBytes <= report.boundBytes ? 'yes' : 'NO'}`,
    `bound = idle ${m(t.idleRssBytes)} + rings ${m(t.ringBytes)} + fetch budget ${m(t.fetchBudgetBytes)} + read buffer pool ${m(t.readBufferPoolBytes)} + 2 batches x consumer ${m(t.batchPerFetchBytes)} + produce in flight ${m(t.produceInFlightBytes)} + runtime slack ${m(t.runtimeSlackBytes)}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [backlogMiB = 200, producers = 200, consumers = 200, loadSeconds = 20] = process.argv.slice(2).map(Number);
  const report = await runMemoryScenario({
    backlogBytes: backlogMiB * MiB,
    partitionCount: 4,
    producerCount: producers,
    consumerCount: consumers,
    loadMs: loadSeconds * 1000,
    log: (line) => console.log(line),
  });
  console.log(formatReport(report));
  console.log(JSON.stringify(report));
}
