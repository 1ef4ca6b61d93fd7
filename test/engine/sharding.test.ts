/**
 * The sharded engine: a fixed few partition workers hold thousands of partitions, idle workers
 * block instead of polling, partitions open lazily, and a worker's crash stays its own. The
 * assertions count threads, shared counters and open partitions, never CPU time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchOf, readAll, tempDataDir, values } from './helpers.js';

let brokers: Broker[] = [];
afterEach(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  brokers = [];
});

async function open(options: Parameters<typeof Broker.open>[0]): Promise<Broker> {
  const broker = await Broker.open(options);
  brokers.push(broker);
  return broker;
}

/** Threads of this process right now (Linux). */
function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('sharded partition workers', () => {
  it('holds 2,000 partitions on its two workers plus the coordinators: no thread per partition, balanced', async () => {
    const before = threadCount();
    const broker = await open({ dataDir: tempDataDir(), workers: 2, coordinators: { workerCount: 1 } });
    await broker.createTopic('a', { partitions: 1000 });
    await broker.createTopic('b', { partitions: 1000 });
    expect(broker.readiness()).toEqual({ ready: true, partitionsOpen: 2000, partitionsTotal: 2000, partitionsOffline: 0 });
    // 2 partition workers + 1 coordinator worker; the rest is Node's own (libuv threadpool, V8
    // platform threads), which a process may start on first use: a constant, not per partition.
    expect(threadCount() - before).toBeLessThanOrEqual(3 + 8);
    const counts = broker.workerStats().filter((w) => w.kind === 'partition').map((w) => w.partitionCount);
    expect(counts).toEqual([1000, 1000]);
    // Every partition works, on either worker.
    for (const p of [0, 1, 500, 999]) expect((await broker.produce('a', p, batchOf([`a${p}`]))).errorCode).toBe(ErrorCode.NONE);
    expect(values(await readAll(broker, 'a', 999))).toEqual(['a999']);
  });

  it('leaves idle workers blocked in Atomics.wait: their wait counters do not move while nothing happens', async () => {
    const broker = await open({ dataDir: tempDataDir(), workers: 2 });
    await broker.createTopic('idle', { partitions: 200 });
    await waitUntil('both workers to sleep', () => broker.workerCounters().every((c) => c.sleeping));
    const before = broker.workerCounters();
    await sleep(1000);
    const after = broker.workerCounters();
    // A polling loop or a per-partition tick would wake each worker many times in a second.
    expect(after.map((c) => c.waitCount)).toEqual(before.map((c) => c.waitCount));
    expect(after.every((c) => c.sleeping)).toBe(true);
    // A produce wakes the owning worker, and it goes back to sleep.
    expect((await broker.produce('idle', 7, batchOf(['wake']))).errorCode).toBe(ErrorCode.NONE);
    await waitUntil('the workers to sleep again', () => broker.workerCounters().every((c) => c.sleeping));
  });

  it("opens lazily: 'lazy' opens no partition until one is used, and a damaged partition does not stop the others", async () => {
    const dataDir = tempDataDir();
    const first = await open({ dataDir, workers: 2 });
    await first.createTopic('t', { partitions: 20 });
    for (let p = 0; p < 20; p++) await first.produce('t', p, batchOf([`v${p}`]));
    await first.close();
    brokers = [];
    // A partition directory replaced by a file cannot be opened; listing must not care.
    fs.rmSync(path.join(dataDir, 't-3'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 't-3'), 'not a directory');

    const logged: string[] = [];
    const lazy = await open({ dataDir, workers: 2, openPartitions: 'lazy', log: (line) => logged.push(line) });
    expect(lazy.topics().map((t) => t.name)).toEqual(['t']);
    expect(lazy.readiness().partitionsOpen).toBe(0);
    expect(lazy.partitionState('t', 5)).toBeUndefined();
    expect(values(await readAll2(lazy, 't', 5))).toEqual(['v5']);
    expect(lazy.readiness().partitionsOpen).toBe(1);
    expect((await lazy.produce('t', 3, batchOf(['x']))).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await lazy.produce('t', 4, batchOf(['y']))).errorCode).toBe(ErrorCode.NONE);
    // The damaged partition keeps the broker not ready, and says why.
    expect(lazy.readiness()).toMatchObject({ ready: false, partitionsOpen: 2, partitionsTotal: 20, partitionsOffline: 1 });
    expect(lazy.readiness().reason).toMatch(/^1 partition\(s\) offline: partition t-3 is offline: it cannot be opened: /);
    expect(logged).toEqual([expect.stringMatching(/^partition t-3 is offline: it cannot be opened: .*ENOTDIR/)]);
  });

  it("opens every partition in the background with 'background', and says when it is ready", async () => {
    const dataDir = tempDataDir();
    const first = await open({ dataDir, workers: 2 });
    await first.createTopic('t', { partitions: 1000 });
    await first.close();
    brokers = [];
    const broker = await open({ dataDir, workers: 2, openPartitions: 'background' });
    await broker.whenOpened();
    expect(broker.readiness()).toEqual({ ready: true, partitionsOpen: 1000, partitionsTotal: 1000, partitionsOffline: 0 });
  });

  it("restarts a crashed worker with all of its partitions, and the other worker's partitions never notice", async () => {
    const broker = await open({ dataDir: tempDataDir(), workers: 2 });
    await broker.createTopic('t', { partitions: 6 });
    for (let p = 0; p < 6; p++) expect((await broker.produce('t', p, batchOf([`before-${p}`]))).errorCode).toBe(ErrorCode.NONE);
    const crashed = broker.workerOf('t', 0)!;
    const mine = [0, 1, 2, 3, 4, 5].filter((p) => broker.workerOf('t', p) === crashed);
    const others = [0, 1, 2, 3, 4, 5].filter((p) => broker.workerOf('t', p) !== crashed);
    expect(mine).toHaveLength(3);
    const survivor = broker.workerOf('t', others[0]!)!;
    crashed.injectCrash('exit');
    await waitUntil('the crashed worker to restart', () => crashed.restartCount >= 1);
    expect(crashed.restartCount).toBe(1);
    for (let p = 0; p < 6; p++) {
      let result = await broker.produce('t', p, batchOf([`after-${p}`]));
      // A produce that met the crash answers a retriable code; the next one lands.
      while (result.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) result = await broker.produce('t', p, batchOf([`after-${p}`]));
      expect(result.errorCode).toBe(ErrorCode.NONE);
      expect(values(await readAll(broker, 't', p))).toEqual([`before-${p}`, `after-${p}`]);
    }
    expect(survivor.restartCount).toBe(0);
    expect(mine.every((p) => broker.workerOf('t', p) === crashed)).toBe(true);
  });
  it('applies segment.ms and retention.ms to an idle partition from its worker\'s schedule, then sleeps again', async () => {
    const broker = await open({ dataDir: tempDataDir(), workers: 1, coordinators: { workerCount: 1 } });
    await broker.createTopic('expiring', { partitions: 1, configs: { 'segment.ms': '300', 'retention.ms': '600' } });
    await broker.createTopic('quiet', { partitions: 50 });
    const old = Date.now() - 10_000;
    expect((await broker.produce('expiring', 0, batchOf(['a', 'b', 'c'], { timestamp: old }))).errorCode).toBe(ErrorCode.NONE);
    // No produce, fetch or tick from outside: the worker's deadline for this partition rolls the
    // segment, then retention deletes it and the log start moves past the three records.
    await waitUntil('retention to delete the expired segment', () => broker.partitionState('expiring', 0)!.logStartOffset === 3);
    await waitUntil('the worker to sleep with nothing due', () => broker.workerCounters().every((c) => c.sleeping));
  });

  it('unlinks segment files file.delete.delay.ms after retention from its worker\'s schedule', async () => {
    const dataDir = tempDataDir();
    const broker = await open({ dataDir, workers: 1, coordinators: { workerCount: 1 } });
    await broker.createTopic('delayed', { partitions: 1, configs: { 'segment.ms': '300', 'retention.ms': '600', 'file.delete.delay.ms': '500' } });
    const old = Date.now() - 10_000;
    expect((await broker.produce('delayed', 0, batchOf(['a', 'b'], { timestamp: old }))).errorCode).toBe(ErrorCode.NONE);
    await waitUntil('retention to delete the expired segment', () => broker.partitionState('delayed', 0)!.logStartOffset === 2);
    // Renamed to .deleted by retention; only the worker's deadline for them unlinks them (no
    // produce, fetch or close from outside).
    const partitionDir = fs.readdirSync(dataDir).map((name) => path.join(dataDir, name)).find((dir) => path.basename(dir).startsWith('delayed'))!;
    const firstSegment = (name: string) => name.startsWith('00000000000000000000.');
    await waitUntil('the delayed deletion to unlink the first segment\'s files', () => !fs.readdirSync(partitionDir).some(firstSegment));
    await waitUntil('the worker to sleep with nothing due', () => broker.workerCounters().every((c) => c.sleeping));
  });

  it('keeps its segment files under the descriptor budget while many partitions roll, append and serve fetches at once', async () => {
    // A limit of 300 leaves 16 descriptors to each partition worker and 16 to the main thread's readers.
    const broker = await open({ dataDir: tempDataDir(), workers: 2, openFilesLimit: 300, coordinators: { workerCount: 1 } });
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    await broker.createTopic('many', { partitions: 40, configs: { 'segment.bytes': '2048' } });
    const baseline = openFds();
    let peak = baseline;
    const expected: string[][] = Array.from({ length: 40 }, () => []);
    for (let round = 0; round < 8; round++) {
      await Promise.all(expected.map(async (sent, p) => {
        const batch = Array.from({ length: 10 }, (_, i) => `p${p}-r${round}-${i}-${'x'.repeat(140)}`);
        expect((await broker.produce('many', p, batchOf(batch))).errorCode).toBe(ErrorCode.NONE);
        sent.push(...batch);
        // Fetch while the other partitions append: the readers' cache evicts and reopens too.
        expect(await readAll(broker, 'many', p)).toHaveLength(sent.length);
        peak = Math.max(peak, openFds());
      }));
    }
    // 40 partitions of >= 8 segments would hold ~1,000 descriptors with every file open.
    expect(broker.partitionState('many', 0)!.segmentCount).toBeGreaterThanOrEqual(8);
    expect(peak - baseline).toBeLessThanOrEqual(3 * 16 + 16); // three caches, plus reads pinned in flight
    for (let p = 0; p < 40; p++) expect(values(await readAll(broker, 'many', p))).toEqual(expected[p]);
  });
});

/** readAll for a broker whose partition may not be open yet: its first fetch opens it. */
async function readAll2(broker: Broker, topic: string, partition: number) {
  await broker.loadPartitionState(topic, partition);
  return readAll(broker, topic, partition);
}
