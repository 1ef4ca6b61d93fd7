/**
 * What the main thread and a syslog listener's thread say to each other (tcp-thread.ts,
 * tcp-thread-worker.ts): the thread's start data, its messages, and the counters it reports.
 */
import type { EncodedBatch } from '../../embedded/bulk-encoded.js';
import type { TopicLimits } from '../../embedded/topic-metadata.js';
import type { RoutingOptions } from '../routing.js';
import type { InputCounts } from '../stats.js';
import type { SyslogTcpOptions } from './syslog-tcp.js';

/**
 * Bytes of batches the thread has handed over and the main thread has not settled yet: past it
 * the thread's connections stop reading (the producer's own bound, buffer.memory, is 32 MiB too).
 */
export const OUTSTANDING_BYTES_MAX = 32 * 1024 * 1024;

export interface TcpThreadData {
  name: string;
  options: SyslogTcpOptions;
  routing: RoutingOptions;
  topicLimits: TopicLimits;
}

/** An encoded batch whose bytes travel as a transferred ArrayBuffer. */
export interface ThreadBatch extends Omit<EncodedBatch, 'buffer'> {
  arrayBuffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

/** The counters the thread keeps (what was read); acknowledgements are counted on the main thread. */
export type ThreadCounts = Pick<InputCounts, 'receivedCount' | 'truncatedCount' | 'skippedCount' | 'unparsedCount'>;
const THREAD_COUNTERS: ReadonlyArray<keyof ThreadCounts> = ['receivedCount', 'truncatedCount', 'skippedCount', 'unparsedCount'];

export type ThreadMessage =
  | { type: 'listening'; port: number; counts?: undefined }
  | { type: 'failed'; message: string; code: string | undefined; counts?: undefined }
  | { type: 'batches'; id: number; batches: ThreadBatch[]; counts: ThreadCounts | null }
  | { type: 'counts'; counts: ThreadCounts | null }
  | { type: 'closed'; counts: ThreadCounts | null };

export type MainMessage =
  | { type: 'settled'; id: number; buffers: ArrayBuffer[]; limits: TopicLimits | null }
  | { type: 'close' };

/** The growth of the thread's counters since `before`, or null when none grew. */
export function countsSince(now: InputCounts, before: InputCounts): ThreadCounts | null {
  let grown = false;
  const counts = {} as ThreadCounts;
  for (const counter of THREAD_COUNTERS) {
    counts[counter] = now[counter] - before[counter];
    if (counts[counter] !== 0) grown = true;
  }
  return grown ? counts : null;
}

/** Adds what the thread reported to the input's counters on the main thread. */
export function addCounts(into: InputCounts, counts: ThreadCounts | null): void {
  if (counts === null) return;
  for (const counter of THREAD_COUNTERS) into[counter] += counts[counter];
}
