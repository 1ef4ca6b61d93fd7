/**
 * Two processes of one application (`brook streams run` against `brook serve`) taking over from
 * each other: one is SIGKILLed mid-stream and the other takes over its tasks, restoring their state
 * from the changelogs; the killed one restarts on its old state dir and gets tasks back through a
 * rebalance; the survivor is stopped with SIGINT (commit, leave) and the restarted one takes over
 * everything. The result equals the aggregates of a single-process run (the TopologyTestDriver over the same input), within
 * what at-least-once allows: the distinct ids per key are exactly equal (a replay cannot change a
 * set), and each count may exceed the single-process count only by the records of that key the
 * killed process had processed but not committed, i.e. at or past its last committed offsets
 * (README: "what a crash repeats").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { Serdes } from '../../src/streams/index.js';
import { buildTopology, loadTopologyModule } from '../../src/streams/runtime/topology-module.js';
import type { AppStatus } from '../../src/streams/runtime/status.js';
import { tempDir } from '../helpers/temp-dir.js';
import { start, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../groups-e2e/helpers.js';
import { driverFor } from './helpers.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/brook');
const MODULE = path.resolve(import.meta.dirname, 'fixtures/counting-app.js');
const KEYS = 20;
const RECORDS = 4000;

beforeAll(() => {
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
});

interface AppProcess {
  child: ChildProcess;
  stateDir: string;
  last: AppStatus | null;
  stderr: string;
}

const children: ChildProcess[] = [];
let server: ServerProcess | null = null;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.stop();
  server = null;
});

function runApp(address: string, stateDir = tempDir('brook-streams-proc-')): AppProcess {
  const child = spawn(process.execPath, [BIN, 'streams', 'run', MODULE, '--broker', address, '--state-dir', stateDir, '--threads', '1', '--json', '--status-interval-ms', '100'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' },
  });
  children.push(child);
  const app: AppProcess = { child, stateDir, last: null, stderr: '' };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) app.last = JSON.parse(line) as AppStatus;
  });
  child.stderr!.on('data', (chunk: Buffer) => (app.stderr += chunk.toString()));
  return app;
}

const tasksOf = (app: AppProcess) => app.last?.threads.flatMap((t) => t.tasks) ?? [];

describe('two processes of one application', () => {
  it('take over from each other (SIGKILL, restart, SIGINT), restore from the changelogs, and end with the single-process aggregates, duplicates only past the last commit', async () => {
    server = await start({ env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
    const brook = new Brook(await NetworkBackend.connect(server.address));
    try {
      await brook.admin.createTopic('events', { partitions: 4 });
      const a = runApp(server.address);
      const b = runApp(server.address);
      await waitFor('both processes running with two tasks each', () => [a, b].every((p) => p.last?.state === 'RUNNING' && tasksOf(p).length === 2), 60_000);

      const producer = brook.producer({ lingerMs: 1 });
      const send = (from: number, to: number) => producer.sendBatch(Array.from({ length: to - from }, (_, j) => ({ topic: 'events', key: `k${(from + j) % KEYS}`, value: `id-${String(from + j).padStart(5, '0')}` })));
      for (let i = 0; i < RECORDS / 2; i += 100) await send(i, i + 100);
      // An offset committed past 0 on one of the victim's partitions: a commit produces the
      // changelogs before it commits offsets, so the tasks taken over have state to restore.
      // (The thread's commit count alone can count a commit made before any record was processed.)
      const committedOffsets = async (partitions: number[]) => {
        const fetched = await brook.backend.groups!.offsetFetch({ groupId: 'counting-app', topics: [{ name: 'events', partitionIndexes: partitions }] });
        return new Map(fetched.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset]));
      };
      await waitFor('the victim to have processed and committed some records', async () => {
        const partitions = tasksOf(a).map((t) => t.partitions[0]!.partition);
        return partitions.length > 0 && [...(await committedOffsets(partitions)).values()].some((offset) => offset > 0);
      });
      const victimPartitions = tasksOf(a).map((t) => t.partitions[0]!.partition);
      a.child.kill('SIGKILL');
      await new Promise((resolve) => a.child.once('exit', resolve));
      const committedOffset = await committedOffsets(victimPartitions);
      for (let i = RECORDS / 2; i < RECORDS; i += 100) await send(i, i + 100);
      await producer.close();

      await waitFor('the survivor to own all four tasks with nothing left to read', () => tasksOf(b).length === 4 && tasksOf(b).every((t) => t.state === 'running' && t.partitions.every((p) => p.lag === 0 && p.highWatermark > 0)), 90_000);
      const takenOver = tasksOf(b).filter((t) => victimPartitions.includes(t.partitions[0]!.partition));
      expect(takenOver.reduce((sum, t) => sum + t.restore.totalRecords, 0)).toBeGreaterThan(0); // state came from the changelogs

      // The killed process comes back on its state dir and the group gives it half the tasks; then
      // the survivor stops cleanly (commit, leave the group) and the restarted one takes over all.
      const again = runApp(server.address, a.stateDir);
      await waitFor('the restarted process to get two tasks back', () => [again, b].every((p) => p.last?.state === 'RUNNING' && tasksOf(p).length === 2), 60_000);
      const bPartitions = tasksOf(b).map((t) => t.partitions[0]!.partition);
      b.child.kill('SIGINT');
      expect(await new Promise((resolve) => b.child.once('exit', resolve))).toBe(0);
      await waitFor('the restarted process to own all four tasks with nothing left to read', () => tasksOf(again).length === 4 && tasksOf(again).every((t) => t.state === 'running' && t.partitions.every((p) => p.lag === 0 && p.highWatermark > 0)), 90_000);
      const fromB = tasksOf(again).filter((t) => bPartitions.includes(t.partitions[0]!.partition));
      expect(fromB.reduce((sum, t) => sum + t.restore.totalRecords, 0)).toBeGreaterThan(0); // b's last state came from the changelogs

      // The single-process run over the same input.
      const input: Array<{ key: string; value: string; partition: number; offset: number }> = [];
      for await (const r of brook.consumer({ topic: 'events', from: 'beginning', follow: false })) input.push({ key: r.key!.toString(), value: r.value!.toString(), partition: r.partition, offset: r.offset });
      expect(input).toHaveLength(RECORDS);
      const driver = driverFor(buildTopology(await loadTopologyModule(MODULE)), { applicationId: 'counting-app' });
      const pipe = driver.createInputTopic('events', Serdes.String(), Serdes.String());
      for (const r of input.sort((x, y) => x.partition - y.partition || x.offset - y.offset)) pipe.pipeInput(r.key, r.value, 1);
      await driver.commit();

      const query = async (store: string) => {
        const out = await run([BIN, 'streams', 'query', 'counting-app', store, '--state-dir', again.stateDir, '--json']);
        return new Map((JSON.parse(out) as { entries: Array<{ key: string; value: unknown }> }).entries.map((e) => [e.key, e.value]));
      };
      const ids = await query('ids');
      const counts = await query('counts');
      for (let k = 0; k < KEYS; k++) {
        const key = `k${k}`;
        const expectedIds = (driver.getStore<{ get(k: string): { value: unknown } | null }>('ids').get(key))!.value;
        expect(ids.get(key)).toEqual(expectedIds);
        const expectedCount = (driver.getStore<{ get(k: string): { value: unknown } | null }>('counts').get(key))!.value as number;
        const replayable = input.filter((r) => r.key === key && victimPartitions.includes(r.partition) && r.offset >= (committedOffset.get(r.partition) ?? 0)).length;
        const count = counts.get(key) as number;
        expect(count).toBeGreaterThanOrEqual(expectedCount);
        expect(count - expectedCount).toBeLessThanOrEqual(replayable);
      }
      // A key range across the tasks, in key byte order: k1, k10..k19.
      const range = JSON.parse(await run([BIN, 'streams', 'query', 'counting-app', 'counts', '--from', 'k1', '--to', 'k19', '--state-dir', again.stateDir, '--json'])) as { entries: Array<{ key: string; value: number }> };
      expect(range.entries.map((e) => e.key)).toEqual(['k1', ...Array.from({ length: 10 }, (_, i) => `k1${i}`)]);
      expect(range.entries.map((e) => e.value)).toEqual(range.entries.map((e) => counts.get(e.key)));
      again.child.kill('SIGINT');
      expect(await new Promise((resolve) => again.child.once('exit', resolve))).toBe(0);
    } finally {
      await brook.close();
    }
  });
});

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`brook ${args.slice(1).join(' ')} exited ${code}: ${stderr}`))));
  });
}
