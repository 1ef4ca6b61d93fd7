/**
 * Fetch on the main thread (Kafka's ReplicaManager.fetchMessages, one replica): reads committed
 * bytes with each partition's LogReader, up to the high watermark the worker published, and never
 * waits on a worker (DESIGN.md rule 4). Long-polls until minBytes are available, woken by produce
 * completions rather than by polling.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { OffsetOutOfRangeError } from '../storage/errors.js';
import { FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS_LIMIT } from '../common/limits.js';
import type { FetchRequest, FetchResult } from './broker-types.js';
import type { PartitionHandle } from './partition-handle.js';

/**
 * A server-wide budget on fetched bytes held in memory (src/server/fetch-budget.ts). A read asks
 * for at most what is available and takes what it returns in the same synchronous step, so
 * concurrent fetches cannot overshoot; whoever writes the response releases it.
 */
export interface FetchByteBudget {
  availableBytes(): number;
  take(bytes: number): void;
}

export interface FetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** Optional; the Kafka server passes one (through Broker.fetch's options object). */
  budget?: FetchByteBudget;
}

export type PartitionLookup = (topic: string, partition: number) => PartitionHandle | undefined;

function errorResult(request: FetchRequest, errorCode: number, handle?: PartitionHandle): FetchResult {
  const highWatermark = handle ? handle.state.get('highWatermark') : -1;
  const logStartOffset = handle ? handle.state.get('logStartOffset') : -1;
  return { topic: request.topic, partition: request.partition, errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset, records: null };
}

/** One pass over the partitions. `errors` counts partitions answered with an error code. */
export function readOnce(lookup: PartitionLookup, requests: readonly FetchRequest[], maxBytes: number): { results: FetchResult[]; bytes: number; errors: number } {
  let remainingBytes = Math.min(Math.max(maxBytes, 0), FETCH_MAX_BYTES);
  let bytes = 0;
  let errors = 0;
  const results = requests.map((request) => {
    const handle = lookup(request.topic, request.partition);
    if (handle === undefined) {
      errors++;
      return errorResult(request, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
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
    const firstNonEmpty = bytes === 0;
    if (request.fetchOffset === highWatermark || (limit <= 0 && !firstNonEmpty)) return base;
    try {
      const records = handle.reader().read(request.fetchOffset, limit, highWatermark);
      // KIP-74: only the first non-empty partition may exceed the limits, by one whole batch.
      if (records.length > limit && !firstNonEmpty) return base;
      bytes += records.length;
      remainingBytes -= records.length;
      return { ...base, records };
    } catch (err) {
      errors++;
      if (err instanceof OffsetOutOfRangeError) return errorResult(request, ErrorCode.OFFSET_OUT_OF_RANGE, handle);
      return errorResult(request, ErrorCode.KAFKA_STORAGE_ERROR, handle);
    }
  });
  return { results, bytes, errors };
}

/**
 * Kafka fetch semantics: answers at once if any partition has an error, minBytes are available or
 * maxWaitMs is 0; otherwise waits for an append to one of the partitions (or the deadline, or
 * `closing` firing) and reads again.
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
  // Over budget the limit is 0: readOnce still returns one whole batch (KIP-74), never nothing.
  const read = () => readOnce(lookup, requests, budget === undefined ? options.maxBytes : Math.min(options.maxBytes, Math.max(budget.availableBytes(), 0)));
  for (;;) {
    const { results, bytes, errors } = read();
    const leftMs = deadlineMs - Date.now();
    if (bytes >= options.minBytes || errors > 0 || leftMs <= 0) {
      budget?.take(bytes);
      return results;
    }
    const woken = await waitForAppend(lookup, requests, leftMs, onClose);
    if (woken === 'closed') {
      const last = read();
      budget?.take(last.bytes);
      return last.results;
    }
  }
}

function waitForAppend(
  lookup: PartitionLookup,
  requests: readonly FetchRequest[],
  timeoutMs: number,
  onClose: (wake: () => void) => () => void,
): Promise<'append' | 'timeout' | 'closed'> {
  return new Promise((resolve) => {
    const unsubscribes: (() => void)[] = [];
    const finish = (why: 'append' | 'timeout' | 'closed') => {
      clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve(why);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const seen = new Set<PartitionHandle>();
    for (const request of requests) {
      const handle = lookup(request.topic, request.partition);
      if (handle === undefined || seen.has(handle)) continue;
      seen.add(handle);
      unsubscribes.push(handle.onAppend(() => finish('append')));
    }
    unsubscribes.push(onClose(() => finish('closed')));
  });
}
