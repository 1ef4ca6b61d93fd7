import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import fs from 'node:fs';
import { batchOf, readAll, settle, tempDataDir, values } from './helpers.js';

/** Descriptors this process holds on files under `dir` (Linux /proc). */
function openFilesUnder(dir: string): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(fs.realpathSync(dir))) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

const open: Broker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});
async function openBroker(dataDir: string, options: { ringBytes?: number } = {}): Promise<Broker> {
  const broker = await Broker.open({ dataDir, workers: 2, ...options });
  open.push(broker);
  return broker;
}

const RETRIABLE: readonly number[] = [ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR];

describe('partition worker failure', () => {
  for (const mode of ['exit', 'throw'] as const) {
    it(`restarts a worker that dies (${mode}) mid-produce: in-flight produces answer a retriable code, other partitions keep serving, no acknowledged record is lost`, async () => {
      const dataDir = tempDataDir();
      const broker = await openBroker(dataDir);
      await broker.createTopic('t', { partitions: 2 });
      const acked: string[] = [];
      const produce = async (partition: number, value: string) => {
        const result = await broker.produce('t', partition, batchOf([value]));
        expect(RETRIABLE).toContain(result.errorCode);
        if (result.errorCode === ErrorCode.NONE && partition === 0) acked.push(value);
        return result;
      };
      for (let i = 0; i < 20; i++) await produce(0, `before-${i}`);
      const inFlight = Array.from({ length: 200 }, (_, i) => produce(0, `during-${i}`));
      broker.workerOf('t', 0)!.injectCrash(mode);
      const other = await produce(1, 'other partition');
      expect(other.errorCode).toBe(ErrorCode.NONE);
      await Promise.all(inFlight); // every one settles: none hangs
      while (broker.workerOf('t', 0)!.restartCount === 0) await new Promise((r) => setTimeout(r, 10));
      const after = await produce(0, 'after-restart');
      expect(after.errorCode).toBe(ErrorCode.NONE);

      const present = values(await readAll(broker, 't', 0));
      for (const value of acked) expect(present).toContain(value);
      await broker.close();
      const reopened = await openBroker(dataDir);
      const afterReopen = values(await readAll(reopened, 't', 0));
      for (const value of acked) expect(afterReopen.filter((v) => v === value)).toHaveLength(1);
      expect(values(await readAll(reopened, 't', 1))).toEqual(['other partition']);
    });
  }

  // Node closes the descriptors a worker opened through fs when it exits, however it dies; this
  // holds us to that (a leaked set per crash would be more than the tolerance below).
  it('does not leak the files a crashed worker had open across restarts', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    await broker.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '4096' } });
    const handle = broker.workerOf('t', 0)!;
    const fill = async (round: number) => {
      for (let i = 0; i < 30; i++) expect((await broker.produce('t', 0, batchOf([`r${round}-${i}`.padEnd(300, '.')]))).errorCode).toBe(ErrorCode.NONE);
    };
    await fill(0);
    const before = openFilesUnder(dataDir);
    expect(before).toBeGreaterThan(6); // the worker holds several segments' files open
    for (let crash = 1; crash <= 3; crash++) {
      handle.injectCrash(crash % 2 === 0 ? 'throw' : 'exit');
      while (handle.restartCount < crash) await new Promise((r) => setTimeout(r, 10));
      await fill(crash);
    }
    // New segments were rolled meanwhile, so allow for those; each leaked set would be > 6 more.
    const segmentsAdded = broker.partitionState('t', 0)!.segmentCount - 1;
    expect(openFilesUnder(dataDir)).toBeLessThanOrEqual(before + 3 * segmentsAdded);
    expect(values(await readAll(broker, 't', 0))).toHaveLength(120);
  });

  it('applies backpressure with a small ring and a slow worker: produces stay pending and memory stays bounded', async () => {
    const broker = await openBroker(tempDataDir(), { ringBytes: 64 * 1024 });
    await broker.createTopic('t', { partitions: 1 });
    const handle = broker.workerOf('t', 0)!;
    const batch = batchOf(['x'.repeat(16 * 1024)]); // one buffer, sent many times
    handle.injectStall(1_000_000); // long enough to never end by itself during the test
    await settle();
    const rssBeforeBytes = process.memoryUsage().rss;
    let done = 0;
    const produceCount = 2000; // 32 MiB of batches
    const results = Array.from({ length: produceCount }, () => broker.produce('t', 0, batch).then((r) => (done++, r)));
    for (let i = 0; i < 5; i++) await settle();
    expect(done).toBe(0);
    expect(handle.ringUsedBytes).toBeLessThanOrEqual(handle.ringCapacityBytes);
    expect(handle.ringUsedBytes).toBeGreaterThan(handle.ringCapacityBytes / 2); // the ring filled up
    expect(broker.pendingProduceCount('t', 0)).toBe(produceCount);
    expect(process.memoryUsage().rss - rssBeforeBytes).toBeLessThan(16 * 1024 * 1024);
    handle.injectCrash('exit'); // ends the stall; the restarted worker drains the rest
    const codes = (await Promise.all(results)).map((r) => r.errorCode);
    expect(codes.every((c) => RETRIABLE.includes(c))).toBe(true);
    expect(codes.filter((c) => c === ErrorCode.NONE).length).toBeGreaterThan(produceCount / 2);
    expect(broker.partitionState('t', 0)!.highWatermark).toBe(codes.filter((c) => c === ErrorCode.NONE).length);
  });
});
