/**
 * Where reads of whole batches get their buffers. By default every read allocates a fresh one
 * (the caller keeps it as long as it likes: consumers hand out slices of it as record values).
 * A caller that is done with the bytes at a known point (the Kafka server once a response is in
 * the kernel, a benchmark once it counted the batches) passes a ReadBufferPool instead and gives
 * each result back with release().
 *
 * Why a pool pays: a fetch reads up to megabytes at a time. A fresh buffer of that size is fresh
 * memory from the allocator: the read page-faults on every 4 KiB of it, and many such buffers alive
 * at once (one per partition being fetched) turn V8's collections into full ones. Measured on the
 * partition-scaling benchmark, 16 partitions fetched with fresh buffers ran at ~55% of the speed of
 * one; reused (warm, already mapped) buffers do not have that cost. LIFO reuse hands out the
 * most recently released buffer, the one most likely still in the CPU cache.
 */
import { assert } from '../common/assert.js';
import { READ_BUFFER_POOL_BYTES_MAX, READ_BUFFER_POOLED_MIN_BYTES } from '../common/limits.js';

export interface ReadBuffers {
  /** A buffer of at least `bytes` (its contents are garbage). */
  acquire(bytes: number): Buffer;
  /** Gives back the buffer a result was read into (any slice of it); anything else is ignored. */
  release(result: Buffer | null | undefined): void;
}

/** Fresh buffers, never reused: results may be kept forever. */
export const freshReadBuffers: ReadBuffers = {
  acquire: (bytes) => Buffer.allocUnsafe(bytes),
  release: () => {},
};

/** Pooled blocks are sized in steps of this, so nearby sizes share blocks. */
const BLOCK_STEP_BYTES = 64 * 1024;

/**
 * Reusable read buffers, bounded: the blocks it owns (lent plus idle) never exceed `maxBytes`; past
 * that, acquire() falls back to fresh buffers. Reads smaller than READ_BUFFER_POOLED_MIN_BYTES are
 * always fresh (cheap, and a tailing consumer's small results are often kept). Main thread only,
 * like the LogReaders it serves; not thread-safe.
 *
 * A released block must not be touched again by whoever released it: the next acquire() may hand
 * it out and overwrite it. Releasing twice, or releasing a buffer the pool never lent, does nothing.
 */
export class ReadBufferPool implements ReadBuffers {
  /** Most recently released last. */
  private readonly idle: Buffer[] = [];
  private readonly lent = new Map<ArrayBufferLike, Buffer>();
  private idleBytesValue = 0;
  private lentBytesValue = 0;

  constructor(readonly maxBytes: number = READ_BUFFER_POOL_BYTES_MAX) {
    assert(maxBytes >= 0, 'a pool size is not negative');
  }

  /** Capacity of the blocks handed out and not yet released. */
  get lentBytes(): number {
    return this.lentBytesValue;
  }

  /** Capacity of the blocks waiting for reuse. */
  get idleBytes(): number {
    return this.idleBytesValue;
  }

  acquire(bytes: number): Buffer {
    if (bytes < READ_BUFFER_POOLED_MIN_BYTES) return Buffer.allocUnsafe(bytes);
    const block = this.takeIdle(bytes) ?? this.allocateBlock(bytes);
    if (block === null) return Buffer.allocUnsafe(bytes);
    this.lent.set(block.buffer, block);
    this.lentBytesValue += block.length;
    return block;
  }

  release(result: Buffer | null | undefined): void {
    if (result === null || result === undefined) return;
    const block = this.lent.get(result.buffer);
    if (block === undefined) return;
    this.lent.delete(result.buffer);
    this.lentBytesValue -= block.length;
    this.idle.push(block);
    this.idleBytesValue += block.length;
  }

  /** The most recently released idle block that fits `bytes` without wasting more than as much again. */
  private takeIdle(bytes: number): Buffer | null {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const block = this.idle[i]!;
      if (block.length >= bytes && block.length <= 2 * bytes) {
        this.idle.splice(i, 1);
        this.idleBytesValue -= block.length;
        return block;
      }
    }
    return null;
  }

  /** A new block, after dropping the oldest idle ones if that makes room; null when lent blocks fill the pool. */
  private allocateBlock(bytes: number): Buffer | null {
    const size = Math.ceil(bytes / BLOCK_STEP_BYTES) * BLOCK_STEP_BYTES;
    if (this.lentBytesValue + size > this.maxBytes) return null;
    while (this.lentBytesValue + this.idleBytesValue + size > this.maxBytes) {
      const oldest = this.idle.shift()!;
      this.idleBytesValue -= oldest.length;
    }
    // allocUnsafeSlow: a block of its own (never a slice of Node's shared pool), so that
    // `result.buffer` identifies it.
    return Buffer.allocUnsafeSlow(size);
  }
}
