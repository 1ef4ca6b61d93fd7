/**
 * The thread of a syslog TCP/TLS listener (tcp-thread.ts starts it): the listener, its
 * connections, framing and batch encoding run here, and the main thread only hands the encoded
 * batches to the producer. Parsing is most of the cost of a syslog line; on its own thread it no
 * longer shares one core with the producer, the Kafka listener and everything else on the main
 * thread.
 *
 * Messages (see tcp-thread.ts for the other side):
 *   → main  { type: 'listening', port } | { type: 'failed', message, code }
 *           { type: 'batches', id, batches, counts }   buffers transferred, not copied
 *           { type: 'counts', counts }                 what was read without a batch (skipped lines)
 *           { type: 'closed', counts }
 *   ← main  { type: 'settled', id, buffers, limits }   the batches' buffers come back for reuse
 *           { type: 'close' }
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TopicLimits } from '../../embedded/topic-metadata.js';
import { Routing } from '../routing.js';
import { InputStats } from '../stats.js';
import { SlabPool, type SlabBatch } from './batch-encoder.js';
import { SyslogTcpInput, type SyslogTcpSink } from './syslog-tcp.js';
import { countsSince, OUTSTANDING_BYTES_MAX, type MainMessage, type TcpThreadData, type ThreadBatch, type ThreadCounts, type ThreadMessage } from './tcp-thread-protocol.js';

const data = workerData as TcpThreadData;
const port = parentPort!;
const stats = new InputStats(data.name);
const pool = new SlabPool();
let limits: TopicLimits = data.topicLimits;
let lastCounts = { ...stats.counts };
let nextId = 0;
let outstandingBytes = 0;
let readyWaiters: Array<() => void> = [];
const pending = new Map<number, { heldBytes: number; settle: () => void }>();

function post(message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function takeCounts(): ThreadCounts | null {
  const counts = countsSince(stats.counts, lastCounts);
  lastCounts = { ...stats.counts };
  return counts;
}

const sink: SyslogTcpSink = {
  stats,
  routing: new Routing(data.routing),
  limitsNow: () => limits,
  sendEncoded(batches: SlabBatch[]): Promise<void> {
    const id = nextId++;
    const transfer: ArrayBuffer[] = [];
    const sent: ThreadBatch[] = [];
    let heldBytes = 0;
    for (const batch of batches) {
      const buffer = batch.buffer.buffer as ArrayBuffer;
      if (!transfer.includes(buffer)) transfer.push(buffer);
      heldBytes += batch.heldBytes;
      const { slab: _, buffer: view, ...fields } = batch;
      sent.push({ ...fields, arrayBuffer: buffer, byteOffset: view.byteOffset, byteLength: view.byteLength });
    }
    outstandingBytes += heldBytes;
    post({ type: 'batches', id, batches: sent, counts: takeCounts() }, transfer);
    return new Promise((settle) => pending.set(id, { heldBytes, settle }));
  },
  send(): Promise<unknown> {
    // The topic's limits are known from the start here, so every read is encoded.
    throw new Error('the syslog thread has no record path');
  },
  hasCapacity: () => outstandingBytes < OUTSTANDING_BYTES_MAX,
  ready(): Promise<void> {
    if (sink.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => readyWaiters.push(resolve));
  },
};

// What was read without making a batch (skipped lines) still shows up in the counts.
const countsTimer = setInterval(() => {
  if (countsSince(stats.counts, lastCounts) !== null) post({ type: 'counts', counts: takeCounts() });
}, 1000);
countsTimer.unref();

let input: SyslogTcpInput;
try {
  input = await SyslogTcpInput.listen(sink, data.options, pool);
} catch (error) {
  const { message, code } = error as NodeJS.ErrnoException;
  post({ type: 'failed', message, code });
  process.exit(0);
}
post({ type: 'listening', port: input.port });

port.on('message', (message: MainMessage) => {
  if (message.type === 'settled') {
    for (const buffer of message.buffers) pool.give(Buffer.from(buffer));
    if (message.limits !== null) limits = message.limits;
    const entry = pending.get(message.id);
    if (entry === undefined) return;
    pending.delete(message.id);
    outstandingBytes -= entry.heldBytes;
    entry.settle();
    if (sink.hasCapacity() && readyWaiters.length > 0) {
      const waiters = readyWaiters;
      readyWaiters = [];
      for (const wake of waiters) wake();
    }
  } else if (message.type === 'close') {
    void input.close().then(() => {
      clearInterval(countsTimer);
      post({ type: 'closed', counts: takeCounts() });
    });
  }
});
