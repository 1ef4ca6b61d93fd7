import { describe, expect, it } from 'vitest';
import { randomFillSync } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/engine/ring.js';
// @ts-expect-error plain JS fixture shared with the worker
import { tryWriteFrame, frameIsIntact } from './fixtures/ring-frames.mjs';

/** Atomics.waitAsync (Node 16+) is missing from TypeScript's ES2023 lib. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function pair(capacityBytes: number) {
  const sab = createRingBuffer(capacityBytes);
  return { producer: new RingProducer(sab), consumer: new RingConsumer(sab) };
}

describe('ring, one thread', () => {
  it('reports empty, then returns frames in order with their ids and bytes', () => {
    const { producer, consumer } = pair(1024);
    expect(consumer.next()).toBeNull();
    expect(producer.tryWrite(bytes(3, 7), 11)).toBe(true);
    expect(producer.tryWrite(bytes(0, 0), 12)).toBe(true);
    const a = consumer.next()!;
    expect([a.frameId, [...a.payload]]).toEqual([11, [7, 7, 7]]);
    const b = consumer.next()!;
    expect([b.frameId, b.payload.length]).toEqual([12, 0]);
    expect(consumer.next()).toBeNull();
  });

  it('hides staged frames until publish() and then shows them all, in order', () => {
    const { producer, consumer } = pair(1024);
    for (let id = 1; id <= 3; id++) {
      producer.tryReserve(4)!.fill(id);
      producer.commit(id, false);
    }
    expect(producer.hasUnpublished).toBe(true);
    expect(consumer.hasFrames()).toBe(false);
    expect(consumer.next()).toBeNull();
    producer.publish();
    expect(producer.hasUnpublished).toBe(false);
    const seen = [consumer.next()!, consumer.next()!, consumer.next()!].map((f) => [f.frameId, f.payload[0]]);
    expect(seen).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(consumer.next()).toBeNull();
  });

  it('publishes staged frames before waiting for space, so the consumer can free them', async () => {
    const { producer, consumer } = pair(256); // max payload 120
    producer.tryReserve(120)!.fill(1);
    producer.commit(1, false);
    expect(producer.tryReserve(120)).toBeNull();
    const waited = producer.waitForSpace();
    const frame = consumer.next(); // visible only because waitForSpace published it
    expect(frame?.frameId).toBe(1);
    consumer.release();
    await waited;
    expect(producer.tryReserve(120)).not.toBeNull();
  });

  it('refuses a frame when full and accepts it once the consumer releases', () => {
    const { producer, consumer } = pair(256); // max payload 120
    expect(producer.tryWrite(bytes(120, 1), 1)).toBe(true);
    expect(producer.tryWrite(bytes(120, 2), 2)).toBe(false);
    expect(consumer.next()!.frameId).toBe(1);
    expect(producer.tryWrite(bytes(120, 2), 2)).toBe(false); // read but not released: still held
    consumer.release();
    expect(producer.tryWrite(bytes(120, 2), 2)).toBe(true);
    expect([...consumer.next()!.payload]).toEqual(new Array(120).fill(2));
  });

  it('never splits a frame at the wrap point: it writes a wrap marker and starts at 0', () => {
    const { producer, consumer } = pair(256);
    for (let i = 0; i < 2; i++) producer.tryWrite(bytes(72, i), i); // 80 bytes each: tail at 160
    consumer.next(); consumer.next(); consumer.release(); // head at 160
    const view = producer.tryReserve(110)!; // 120 bytes do not fit in the 96 left: wraps
    expect(view.byteOffset).toBe(128 + 8);
    view.fill(9);
    producer.commit(5);
    const frame = consumer.next()!;
    expect([frame.frameId, frame.payload.byteOffset, frame.payload.length]).toEqual([5, 136, 110]);
    expect(frame.payload.every((b) => b === 9)).toBe(true);
  });

  it('keeps the empty and full states distinct when a frame ends exactly at the end of the ring', () => {
    const { producer, consumer } = pair(256);
    expect(producer.tryWrite(bytes(120, 1), 1)).toBe(true); // 128 bytes: tail 128
    expect(producer.tryWrite(bytes(120, 2), 2)).toBe(false); // would fill to 256 == head 0
    consumer.next(); consumer.release();
    expect(producer.tryWrite(bytes(120, 2), 2)).toBe(true); // head 128: ends at 256 -> tail 0
    expect(consumer.usedBytes()).toBe(128);
    expect(consumer.next()!.frameId).toBe(2);
    expect(consumer.next()).toBeNull();
  });

  it('asserts a frame larger than half the ring', () => {
    const { producer } = pair(256);
    expect(() => producer.tryReserve(121)).toThrow(/exceeds ring limit/);
  });

  it('matches a FIFO model for any sequence of writes, reads and releases', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(200).map((n) => ({ op: 'write' as const, n })), fc.constant({ op: 'read' as const, n: 0 }), fc.constant({ op: 'release' as const, n: 0 })), { maxLength: 300 }),
        (ops) => {
          const { producer, consumer } = pair(512); // max payload 248
          const written: number[][] = [];
          let readCount = 0, releasedCount = 0, nextId = 0;
          for (const { op, n } of ops) {
            if (op === 'write') {
              const size = Math.min(n, producer.maxPayloadBytes);
              const ok = producer.tryWrite(bytes(size, nextId & 255), nextId);
              // An empty ring (everything released) always has room for a maximal frame.
              if (releasedCount === written.length) expect(ok).toBe(true);
              if (ok) written.push([nextId++, size]);
            } else if (op === 'read') {
              const frame = consumer.next();
              if (readCount === written.length) expect(frame).toBeNull();
              else {
                const [id, size] = written[readCount++]!;
                expect([frame!.frameId, frame!.payload.length]).toEqual([id, size]);
                expect(frame!.payload.every((b) => b === (id! & 255))).toBe(true);
              }
            } else {
              consumer.release();
              releasedCount = readCount;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ring, two threads', () => {
  // The worker loads dist/src/engine/ring.js: run `npx tsc -p tsconfig.json` first.
  const pool = new SharedArrayBuffer(1 << 20);
  randomFillSync(new Uint8Array(pool));
  const poolBytes = Buffer.from(pool);
  const frameCount = 1_500_000;

  function startPeer(role: string, sab: SharedArrayBuffer): Promise<Record<string, number>> {
    const worker = new Worker(new URL('./fixtures/ring-peer.mjs', import.meta.url), { workerData: { role, sab, pool, frameCount } });
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`peer exited with ${code} before reporting`)));
    });
  }

  it('moves 1.5 million variable-size frames from the main thread to a blocking worker intact and in order', async () => {
    const sab = createRingBuffer(64 * 1024);
    const done = startPeer('consumer', sab);
    const producer = new RingProducer(sab);
    for (let i = 0; i < frameCount; i++) {
      while (!tryWriteFrame(producer, poolBytes, i)) await producer.waitForSpace();
    }
    expect(await done).toMatchObject({ received: frameCount, bad: 0 });
  });

  it('never loses a wake-up without a frame: 20,000 control wake-ups of a worker sleeping with no timeout', async () => {
    const sab = createRingBuffer(1024);
    const flags = new SharedArrayBuffer(8);
    const rounds = 20_000;
    const worker = new Worker(new URL('./fixtures/ring-peer.mjs', import.meta.url), { workerData: { role: 'doorbell', sab, pool: flags, frameCount: rounds } });
    const done = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const producer = new RingProducer(sab);
    const words = new Int32Array(flags);
    let lost = 0;
    for (let i = 1; i <= rounds; i++) {
      Atomics.store(words, 0, i); // the condition first, then the doorbell (as onPosted does)
      producer.wakeConsumer();
      while (Atomics.load(words, 1) !== i) {
        const result = waitAsync(words, 1, i - 1, 10_000);
        if ((result.async ? await result.value : result.value) === 'timed-out') {
          lost++;
          producer.wakeConsumer(); // rescue it, so that the count says how often it happened
        }
      }
    }
    expect(await done).toEqual({ seen: rounds });
    expect(lost).toBe(0);
    await worker.terminate();
  });

  it('moves 1.5 million frames from a worker to the main thread waiting with waitAsync', async () => {
    const sab = createRingBuffer(64 * 1024);
    const done = startPeer('producer', sab);
    const consumer = new RingConsumer(sab);
    let received = 0, bad = 0;
    while (received < frameCount) {
      let frame = consumer.next();
      if (frame === null) { await consumer.waitForFramesAsync(); continue; }
      for (; frame !== null; frame = consumer.next()) {
        if (!frameIsIntact(consumer, frame, received)) bad++;
        received++;
      }
      consumer.release();
    }
    expect({ received, bad }).toEqual({ received: frameCount, bad: 0 });
    expect(await done).toEqual({ sent: frameCount });
  });
});
