/**
 * The long-poll's wake-ups when a read is slow: an append, or the broker closing, that happens
 * while a fetch's read is still in libuv's threadpool must end the wait, not be missed until
 * maxWaitMs. The real partition cannot hold a read open on cue, so this drives fetchWithLongPoll
 * with a stand-in partition whose reads finish when the test says (the Broker-level behaviour is
 * covered in broker.test.ts and fetch-reads.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fetchWithLongPoll } from '../../src/engine/fetch.js';
import type { Partition } from '../../src/engine/partition/partition.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const BATCH_BYTES = 100;

/** A partition whose high watermark the test moves and whose reads wait for `finishRead()`. */
function slowPartition() {
  let highWatermark = 1;
  const appendListeners = new Set<() => void>();
  const pendingReads: (() => void)[] = [];
  let reads = 0;
  let subscriptions = 0;
  const reader = {
    locate: (offset: number, hw: number) =>
      offset < hw ? { segment: { readableBytes: () => hw * BATCH_BYTES }, first: { position: offset * BATCH_BYTES, sizeBytes: BATCH_BYTES } } : null,
    readAt: (location: { first: { position: number } }, _maxBytes: number, hw: number) => {
      reads++;
      const bytes = hw * BATCH_BYTES - location.first.position;
      return new Promise<Buffer>((resolve) => pendingReads.push(() => resolve(Buffer.alloc(bytes))));
    },
  };
  const handle = {
    hasPublishedState: true,
    state: { get: (field: string) => (field === 'highWatermark' ? highWatermark : 0) },
    reader: () => reader,
    onAppend: (listener: () => void) => {
      subscriptions++;
      appendListeners.add(listener);
      return () => appendListeners.delete(listener);
    },
  } as unknown as Partition;
  return {
    handle,
    get reads() {
      return reads;
    },
    /** Append listeners ever registered (by fetches arming their wake-up). */
    get subscriptions() {
      return subscriptions;
    },
    append(): void {
      highWatermark++;
      for (const listener of [...appendListeners]) listener();
    },
    /** Completes every read started so far; later reads complete at once. */
    async finishReads(): Promise<void> {
      while (pendingReads.length > 0) pendingReads.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const request = { topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 };

/** A fetch wanting two batches, waiting up to 60 s; `listening()` says whether its close listener is still registered. */
function startFetch(p: ReturnType<typeof slowPartition>) {
  let closeListener: (() => void) | null = null;
  const fetch = fetchWithLongPoll(() => p.handle, [request], { maxWaitMs: 60_000, minBytes: 2 * BATCH_BYTES, maxBytes: 1 << 20 }, (wake) => {
    closeListener = wake;
    return () => (closeListener = null);
  });
  return { fetch, close: () => closeListener!(), listening: () => closeListener !== null };
}

describe('fetch long-poll wake-ups during a slow read', () => {
  it('an append that lands while the read is in flight wakes the fetch, which reads again', async () => {
    const p = slowPartition();
    const { fetch, listening } = startFetch(p);
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.reads).toBe(1);
    p.append(); // during the first read: it will still return one batch only
    await p.finishReads();
    await p.finishReads(); // the second read, started because of the append
    const [result] = await fetch; // with the append missed this would wait 60 s: past the test's timeout
    expect(result!.records!.length).toBe(2 * BATCH_BYTES);
    expect(p.reads).toBe(2);
    expect(listening()).toBe(false); // unsubscribed
  }, 10_000);

  it('a close while the read is in flight answers with that read instead of waiting or reading again', async () => {
    const p = slowPartition();
    const { fetch, close } = startFetch(p);
    await new Promise((resolve) => setImmediate(resolve));
    close();
    await p.finishReads();
    const [result] = await fetch;
    expect([result!.errorCode, result!.records!.length, p.reads]).toEqual([ErrorCode.NONE, BATCH_BYTES, 1]);
  }, 10_000);

  it('a fetch that finds the broker already closing when it would read again answers NOT_LEADER_OR_FOLLOWER', async () => {
    const p = slowPartition();
    let closing = false;
    const fetch = fetchWithLongPoll(() => p.handle, [request], { maxWaitMs: 60_000, minBytes: 2 * BATCH_BYTES, maxBytes: 1 << 20 }, (wake) => {
      if (closing) wake();
      return () => {};
    });
    await new Promise((resolve) => setImmediate(resolve));
    closing = true; // as Broker.close() would, but noticed only when the fetch re-arms
    p.append();
    await p.finishReads();
    const [result] = await fetch;
    expect([result!.errorCode, result!.records, p.reads]).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, null, 1]);
  }, 10_000);

  it('a fetch with maxWaitMs 0 listens for the close only, not for appends', async () => {
    const p = slowPartition();
    let closeListens = 0;
    const fetch = fetchWithLongPoll(() => p.handle, [request], { maxWaitMs: 0, minBytes: 2 * BATCH_BYTES, maxBytes: 1 << 20 }, () => {
      closeListens++;
      return () => {};
    });
    await p.finishReads();
    const [result] = await fetch; // short of minBytes, but it may not wait
    expect([result!.records!.length, p.reads, p.subscriptions, closeListens]).toEqual([BATCH_BYTES, 1, 0, 1]);
    const waiting = startFetch(p);
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.subscriptions).toBe(1); // one that may wait does listen
    waiting.close();
    await p.finishReads();
    await waiting.fetch;
  }, 10_000);
});
