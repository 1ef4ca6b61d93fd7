/**
 * Fetch (Kafka's ReplicaManager.fetchMessages, one replica): reads committed bytes with each
 * partition's LogReader, up to the high watermark the worker published, and never waits on a
 * worker (DESIGN.md rule 4). The main thread finds where each read starts; reads of 64 KiB or more
 * run in libuv's threadpool (LogReader.readAt), so big fetches neither block the event loop nor
 * share one core: Kafka hands them to sendfile for the same reason. Long-polls until minBytes are
 * available, woken by produce completions rather than by polling.
 */
import { kafkaCodeFor } from '../common/error-table.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS_LIMIT } from '../common/limits.js';
import type { FetchRequest, FetchResult } from './broker-types.js';
import type { Partition } from './partition/partition.js';
import { freshReadBuffers, type ReadBuffers } from '../storage/read-buffers.js';
import { readBytesFor } from '../storage/segment-read.js';

/**
 * A server-wide budget on fetched bytes held in memory (src/server/fetch-budget.ts). A fetch takes
 * what it plans to read before reading (reads run concurrently, in libuv's threadpool), gives back
 * what it did not read, and whoever writes the response releases the rest.
 */
export interface FetchByteBudget {
  availableBytes(): number;
  take(bytes: number): void;
  release(bytes: number): void;
}

export interface FetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** Optional; the Kafka server passes one (through Broker.fetch's options object). */
  budget?: FetchByteBudget;
  /**
   * Where the records are read into (default: fresh buffers the caller may keep). A caller that
   * passes a ReadBufferPool gives every result's `records` back with `buffers.release` once done.
   */
  buffers?: ReadBuffers;
}

export type PartitionLookup = (topic: string, partition: number) => Partition | undefined;

function errorResult(request: FetchRequest, errorCode: number, handle?: Partition): FetchResult {
  const highWatermark = handle ? handle.state.get('highWatermark') : -1;
  const logStartOffset = handle ? handle.state.get('logStartOffset') : -1;
  return { topic: request.topic, partition: request.partition, errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset, records: null };
}

/** The code a failed read answers with; exported for Broker.listOffset, which reads the same way. */
export function readErrorCode(err: unknown): number {
  return kafkaCodeFor(err, 'partition'); // src/common/error-table.ts
}

/**
 * One pass over the partitions. Each partition's first batch is located and its share of
 * `maxBytes` reserved on this thread, in request order (so limits and KIP-74 apply as if read one
 * by one); then the reads run together. `bytes` is what was read (taken from `budget`); `errors`
 * counts partitions answered with an error code.
 */
export async function readOnce(
  lookup: PartitionLookup,
  requests: readonly FetchRequest[],
  maxBytes: number,
  buffers: ReadBuffers = freshReadBuffers,
  budget?: FetchByteBudget,
): Promise<{ results: FetchResult[]; bytes: number; errors: number }> {
  let remainingBytes = Math.min(Math.max(maxBytes, 0), FETCH_MAX_BYTES);
  let reservedBytes = 0;
  let errors = 0;
  const reads: Promise<void>[] = [];
  const results = requests.map((request): FetchResult => {
    const handle = lookup(request.topic, request.partition);
    if (handle === undefined) {
      errors++;
      return errorResult(request, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    if (!handle.hasPublishedState) {
      // Never opened: offline (its log could not be opened) or still opening (retriable).
      errors++;
      return errorResult(request, handle.status === 'offline' ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    // Watermark first: everything below it is on disk before the worker stored it.
    const highWatermark = handle.state.get('highWatermark');
    const logStartOffset = handle.state.get('logStartOffset');
    const base: FetchResult = { topic: request.topic, partition: request.partition, errorCode: ErrorCode.NONE, highWatermark, lastStableOffset: highWatermark, logStartOffset, records: Buffer.alloc(0) };
    if (request.fetchOffset < logStartOffset || request.fetchOffset > highWatermark) {
      errors++;
      return errorResult(request, ErrorCode.OFFSET_OUT_OF_RANGE, handle);
    }
    const limit = Math.min(Math.max(request.partitionMaxBytes, 0), remainingBytes);
    const firstNonEmpty = reservedBytes === 0;
    if (request.fetchOffset === highWatermark || (limit <= 0 && !firstNonEmpty)) return base;
    try {
      const reader = handle.reader();
      const location = reader.locate(request.fetchOffset, highWatermark);
      if (location === null) return base;
      // KIP-74: only the first non-empty partition may exceed the limits, by one whole batch.
      if (location.first.sizeBytes > limit && !firstNonEmpty) return base;
      const wantBytes = readBytesFor(location, limit);
      reservedBytes += wantBytes;
      remainingBytes -= wantBytes;
      const result = { ...base };
      reads.push(
        reader.readAt(location, limit, highWatermark, buffers).then(
          (records) => void (result.records = records),
          (err: unknown) => {
            errors++;
            Object.assign(result, errorResult(request, readErrorCode(err), handle));
          },
        ),
      );
      return result;
    } catch (err) {
      errors++;
      return errorResult(request, readErrorCode(err), handle);
    }
  });
  budget?.take(reservedBytes);
  await Promise.all(reads);
  const bytes = results.reduce((sum, result) => sum + (result.records?.length ?? 0), 0);
  budget?.release(reservedBytes - bytes);
  return { results, bytes, errors };
}

/**
 * Kafka fetch semantics: answers at once if any partition has an error, minBytes are available or
 * maxWaitMs is 0; otherwise waits for an append to one of the partitions (or the deadline, or
 * `closing` firing) and reads again. The bytes of the answer stay taken from `options.budget`.
 *
 * The wait is armed before each read, not after it: a read may take a threadpool round trip, and
 * an append (or the close) landing meanwhile must still end the wait. When the broker closes, the
 * fetch answers with what it last read rather than reading again from logs being closed.
 */
export async function fetchWithLongPoll(
  lookup: PartitionLookup,
  requests: readonly FetchRequest[],
  options: FetchOptions,
  onClose: (wake: () => void) => () => void,
): Promise<FetchResult[]> {
  const waitMs = Math.min(Math.max(options.maxWaitMs, 0), FETCH_MAX_WAIT_MS_LIMIT);
  const deadlineMs = Date.now() + waitMs;
  const budget = options.budget;
  const buffers = options.buffers ?? freshReadBuffers;
  // Over budget the limit is 0: readOnce still returns one whole batch (KIP-74), never nothing.
  const read = () => readOnce(lookup, requests, budget === undefined ? options.maxBytes : Math.min(options.maxBytes, Math.max(budget.availableBytes(), 0)), buffers, budget);
  for (;;) {
    // A fetch that cannot wait (maxWaitMs 0) answers after this read: only the close matters to it.
    const wake = armWake(lookup, waitMs > 0 ? requests : [], onClose);
    if (wake.reason === 'closed') {
      // The broker began closing while this fetch waited: reading now would reopen closed logs.
      wake.cancel();
      return requests.map((request) => errorResult(request, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    }
    const { results, bytes, errors } = await read();
    const leftMs = deadlineMs - Date.now();
    if (bytes >= options.minBytes || errors > 0 || leftMs <= 0) {
      wake.cancel();
      return results;
    }
    if ((await wake.wait(leftMs)) === 'closed') return results;
    // Too little: give it back and read again.
    for (const result of results) buffers.release(result.records);
    budget?.release(bytes);
  }
}

type WakeReason = 'append' | 'timeout' | 'closed';

/**
 * Listens for an append to any of the requested partitions, or the close, from now on; `wait`
 * resolves at the first of those (at once if one already happened) or after `timeoutMs`.
 */
function armWake(
  lookup: PartitionLookup,
  requests: readonly FetchRequest[],
  onClose: (wake: () => void) => () => void,
): { readonly reason: WakeReason | null; wait(timeoutMs: number): Promise<WakeReason>; cancel(): void } {
  let woken: WakeReason | null = null;
  let notify: ((why: WakeReason) => void) | null = null;
  const unsubscribes: (() => void)[] = [];
  const cancel = () => {
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  };
  const fire = (why: WakeReason) => {
    if (woken !== null) return;
    woken = why;
    notify?.(why);
  };
  const seen = new Set<Partition>();
  for (const request of requests) {
    const handle = lookup(request.topic, request.partition);
    if (handle === undefined || seen.has(handle)) continue;
    seen.add(handle);
    unsubscribes.push(handle.onAppend(() => fire('append')));
  }
  unsubscribes.push(onClose(() => fire('closed')));
  return {
    cancel,
    /** What has woken it so far, if anything. */
    get reason() {
      return woken;
    },
    wait(timeoutMs: number): Promise<WakeReason> {
      return new Promise<WakeReason>((resolve) => {
        const timer = setTimeout(() => fire('timeout'), timeoutMs);
        notify = (why) => {
          clearTimeout(timer);
          cancel();
          resolve(why);
        };
        if (woken !== null) notify(woken);
      });
    },
  };
}
