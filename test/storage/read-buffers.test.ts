/**
 * ReadBufferPool (src/storage/read-buffers.ts): LIFO reuse of released blocks, the [bytes, 2 x bytes]
 * fit rule, small reads that are never pooled, lent/idle accounting, the maxBytes bound (fresh
 * buffers past it, oldest idle blocks dropped first), double and slice releases; and that
 * freshReadBuffers never reuses anything.
 */
import { describe, expect, it } from 'vitest';
import { freshReadBuffers, ReadBufferPool } from '../../src/storage/read-buffers.js';
import { READ_BUFFER_POOLED_MIN_BYTES } from '../../src/common/limits.js';

const KiB = 1024;
const BLOCK = 128 * KiB;

describe('ReadBufferPool', () => {
  it('hands out the most recently released block first (LIFO)', () => {
    const pool = new ReadBufferPool();
    const a = pool.acquire(BLOCK);
    const b = pool.acquire(BLOCK);
    expect(a.buffer).not.toBe(b.buffer);
    pool.release(a);
    pool.release(b);
    expect(pool.acquire(BLOCK).buffer).toBe(b.buffer);
    expect(pool.acquire(BLOCK).buffer).toBe(a.buffer);
    expect(pool.idleBytes).toBe(0);
  });

  it('reuses a block only if it is at most twice the request', () => {
    const pool = new ReadBufferPool();
    const big = pool.acquire(512 * KiB);
    pool.release(big);
    const small = pool.acquire(BLOCK); // 512 KiB > 2 x 128 KiB: a new block
    expect(small.buffer).not.toBe(big.buffer);
    expect(pool.idleBytes).toBe(512 * KiB);
    const half = pool.acquire(256 * KiB); // 512 KiB = 2 x 256 KiB: fits
    expect(half.buffer).toBe(big.buffer);
    expect(pool.idleBytes).toBe(0);
  });

  it('gives small reads fresh buffers that it neither counts nor takes back', () => {
    const pool = new ReadBufferPool();
    const bytes = READ_BUFFER_POOLED_MIN_BYTES - 1;
    const a = pool.acquire(bytes);
    expect(a.length).toBe(bytes);
    expect(pool.lentBytes).toBe(0);
    pool.release(a);
    expect(pool.idleBytes).toBe(0);
    expect(pool.acquire(bytes).buffer).not.toBe(a.buffer);
    expect(pool.lentBytes).toBe(0);
  });

  it('counts blocks rounded up to 64 KiB steps, as lent then idle', () => {
    const pool = new ReadBufferPool();
    const a = pool.acquire(100 * KiB);
    expect(a.length).toBe(BLOCK);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([BLOCK, 0]);
    const b = pool.acquire(64 * KiB);
    expect(b.length).toBe(64 * KiB);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([BLOCK + 64 * KiB, 0]);
    pool.release(a);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([64 * KiB, BLOCK]);
    pool.release(b);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([0, BLOCK + 64 * KiB]);
  });

  it('never owns more than maxBytes: past it, acquire returns fresh unpooled buffers', () => {
    const pool = new ReadBufferPool(3 * BLOCK);
    const lent = [pool.acquire(BLOCK), pool.acquire(BLOCK), pool.acquire(BLOCK)];
    expect(pool.lentBytes).toBe(3 * BLOCK);
    const extra = pool.acquire(BLOCK);
    expect(extra.length).toBe(BLOCK);
    expect(lent.map((b) => b.buffer)).not.toContain(extra.buffer);
    expect(pool.lentBytes).toBe(3 * BLOCK);
    pool.release(extra); // not the pool's: ignored
    expect([pool.lentBytes, pool.idleBytes]).toEqual([3 * BLOCK, 0]);
    for (const b of lent) pool.release(b);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([0, 3 * BLOCK]);
    expect(pool.lentBytes + pool.idleBytes).toBeLessThanOrEqual(pool.maxBytes);
  });

  it('drops the oldest idle blocks to make room for a block of a new size', () => {
    const pool = new ReadBufferPool(3 * BLOCK);
    const [a, b, c] = [pool.acquire(BLOCK), pool.acquire(BLOCK), pool.acquire(BLOCK)];
    pool.release(a!);
    pool.release(b!);
    pool.release(c!);
    const wide = pool.acquire(192 * KiB); // no idle block fits; 192 KiB needs a and b gone
    expect([a!.buffer, b!.buffer, c!.buffer]).not.toContain(wide.buffer);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([192 * KiB, BLOCK]);
    expect(pool.acquire(BLOCK).buffer).toBe(c!.buffer); // the newest survived
    const next = pool.acquire(64 * KiB);
    expect([a!.buffer, b!.buffer, c!.buffer, wide.buffer]).not.toContain(next.buffer);
    expect(pool.lentBytes).toBe(3 * BLOCK);
  });

  it('takes a block back from any slice of it, once; foreign buffers and null are ignored', () => {
    const pool = new ReadBufferPool();
    const block = pool.acquire(BLOCK);
    pool.release(block.subarray(10, 100));
    expect([pool.lentBytes, pool.idleBytes]).toEqual([0, BLOCK]);
    pool.release(block); // second release: no-op
    pool.release(block.subarray(0, 0));
    pool.release(Buffer.allocUnsafeSlow(BLOCK));
    pool.release(null);
    pool.release(undefined);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([0, BLOCK]);
    const first = pool.acquire(BLOCK);
    const second = pool.acquire(BLOCK); // the block was queued once, so this one is new
    expect(first.buffer).toBe(block.buffer);
    expect(second.buffer).not.toBe(block.buffer);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([2 * BLOCK, 0]);
  });

  it('with maxBytes 0 lends nothing', () => {
    const pool = new ReadBufferPool(0);
    const a = pool.acquire(BLOCK);
    pool.release(a);
    expect(pool.acquire(BLOCK).buffer).not.toBe(a.buffer);
    expect([pool.lentBytes, pool.idleBytes]).toEqual([0, 0]);
  });
});

describe('freshReadBuffers', () => {
  it('allocates every read anew, of exactly the size asked', () => {
    const a = freshReadBuffers.acquire(BLOCK);
    freshReadBuffers.release(a);
    const b = freshReadBuffers.acquire(BLOCK);
    expect([a.length, b.length]).toEqual([BLOCK, BLOCK]);
    expect(b.buffer).not.toBe(a.buffer);
  });
});
