/**
 * A slow disk (FaultyIo latency on every write and fsync of a partition worker): the produce ring
 * fills, further produces wait in the handle's queue holding only a reference to the caller's
 * buffer (backpressure, DESIGN.md rule 5), and memory stays within the ring plus a fixed margin.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchOf, settle } from '../engine/helpers.js';
import { buildDist, prng, simSeed, sleep, tempDir } from './helpers.js';

beforeAll(buildDist);

const open: Broker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close().catch(() => {})));
});

const RING_BYTES = 256 * 1024;
/** The stated bound: growth of the process's memory while the disk is slow, beyond the ring. */
const MEMORY_MARGIN_BYTES = 16 * 1024 * 1024;

describe('slow disk', () => {
  it(`holds produces pending behind a full ring while writes take 20 ms each, with memory under ring + 16 MiB, and completes them all once the disk is fast`, async () => {
    const seed = simSeed('slow-disk', 3131);
    const random = prng(seed);
    const broker = await Broker.open({ dataDir: tempDir(), ringBytes: RING_BYTES, faults: { seed, scope: 'partitions' } });
    open.push(broker);
    await broker.createTopic('t', { partitions: 1 });
    const handle = broker.workerOf('t', 0)!;
    await handle.injectFaults({ op: 'set', latencyMs: 20 });
    const batchBytes = 4096 + Math.floor(random() * 4096);
    const batch = batchOf(['s'.repeat(batchBytes)]); // one buffer sent many times: no per-send copy held
    const produceCount = 4000; // ~16-32 MiB offered, far more than the ring holds
    global.gc?.();
    const before = process.memoryUsage();
    let done = 0;
    const results = Array.from({ length: produceCount }, () => broker.produce('t', 0, batch).then((r) => (done++, r)));
    await sleep(500);
    const during = process.memoryUsage();
    // ~25 writes/s get through: most produces are still pending, the ring is the buffer.
    expect(done, `seed ${seed}`).toBeLessThan(produceCount / 4);
    expect(broker.pendingProduceCount('t', 0)).toBe(produceCount - done);
    expect(handle.ringUsedBytes).toBeLessThanOrEqual(handle.ringCapacityBytes);
    expect(handle.ringUsedBytes).toBeGreaterThan(handle.ringCapacityBytes / 2);
    const growthBytes = during.rss - before.rss;
    console.log(`[sim] slow-disk: ${done}/${produceCount} done after 500 ms, ring ${handle.ringUsedBytes}/${handle.ringCapacityBytes} bytes, rss grew ${(growthBytes / 1048576).toFixed(1)} MiB`);
    expect(growthBytes).toBeLessThan(RING_BYTES + MEMORY_MARGIN_BYTES);
    await handle.injectFaults({ op: 'set', latencyMs: 0 });
    const codes = (await Promise.all(results)).map((r) => r.errorCode);
    expect(codes.every((c) => c === ErrorCode.NONE)).toBe(true);
    await settle();
    expect(broker.partitionState('t', 0)!.highWatermark).toBe(produceCount);
  });
});
