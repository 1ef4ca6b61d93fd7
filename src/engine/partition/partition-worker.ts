/**
 * A partition worker: a worker_thread that owns MANY partitions (DESIGN.md rule 1: it alone opens,
 * writes, rolls, cleans and recovers their files). Started from dist/ by worker-handle.ts.
 *
 * Loop: block on the worker's one produce ring (Atomics.wait: workers may block), take ALL frames
 * published so far, append each to the log of the partition its frame names, straight from the
 * ring view (no copy), publish the touched partitions' state, release the ring space, then publish
 * one completion per produce with a single TAIL store (at the latest every PUBLISH_EVERY_BYTES).
 * A wake-up costs ~50 µs, so one wake-up serves every frame that arrived meanwhile, both ways.
 *
 * Time-based work (flush.ms, segment.ms, retention, cleaning, checkpoints) is one schedule of
 * deadlines for all of the worker's partitions (deadlines.ts): the worker sleeps until the earliest
 * one, a frame, or a control message. An idle partition has no deadline; a worker whose partitions
 * are all idle blocks without a timeout and uses no CPU at all.
 *
 * Control messages (postMessage) are read between bursts: the main thread bumps controlSeq and
 * wakes the ring when it posts one, and the loop returns to the event loop (setImmediate).
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BrookError, StorageError } from '../../common/errors.js';
import { kafkaCodeFor } from '../../common/error-table.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PartitionLog, type AppendResult } from '../../storage/partition-log.js';
import { RingConsumer, RingProducer } from '../ring.js';
import { toWire, type SupervisedEvent } from '../worker-protocol.js';
import { workerFaultsFor } from '../fault-injection.js';
import { isPrestarted } from '../worker-prestart.js';
import { COMPLETION_PAYLOAD_BYTES, encodeCompletion, SharedPartitionState, type Completion } from './partition-state.js';
import { SpinBackoff, SpinBudget } from './spin.js';
import { WorkerControl } from './worker-control.js';
import { DeadlineSchedule } from './deadlines.js';
import { FdCache } from '../../storage/fd-cache.js';
import { produceFrameBatches, produceFrameSlot } from './produce-frame.js';
import type { OpenReply, PartitionSpec, PartitionWorkerData, WorkerRequest } from './messages.js';

/** Longest one burst of appends holds the thread before it lets control messages in. */
const BURST_MS = 50;
/** How long a dry ring is polled before blocking: about what a wake-up costs (DESIGN.md). */
const SPIN_MS = 0.05;
/** SpinBackoff: spinning stops after 3 fruitless spins in a row, then probes at least every 65th dry ring. */
const SPIN_BACKOFF_MAX_SKIP = 64;
const SPIN_MISSES_BEFORE_SKIPPING = 3;
/** A failed time-based run (an I/O error) is retried this much later rather than at once. */
const DEADLINE_RETRY_MS = 1000;
/**
 * Within one drain, completions are published after this many appended bytes even if more frames
 * wait: with big produces the main thread refills the ring while this thread writes.
 */
const PUBLISH_EVERY_BYTES = 256 * 1024;

interface OpenLog {
  slot: number;
  name: string;
  log: PartitionLog;
  state: SharedPartitionState;
}

const port = parentPort!;
/** A prestarted worker (worker-prestart.ts) gets its workerData as its first message. */
const data = (isPrestarted(workerData) ? await new Promise((resolve) => port.once('message', resolve)) : workerData) as PartitionWorkerData;
const frames = new RingConsumer(data.ringSab);
const completions = new RingProducer(data.completionSab);
const control = new WorkerControl(data.controlSab);
const spinBudget = new SpinBudget(data.spinSab, data.maxSpinners);
const spinBackoff = new SpinBackoff(SPIN_BACKOFF_MAX_SKIP, SPIN_MISSES_BEFORE_SKIPPING);
/** Null unless started with a FaultSpec: then every log's file calls go through one FaultyIo. */
const faults = workerFaultsFor(data.faults, 'partitions', `partition-worker-${data.workerIndex}`);
const logs = new Map<number, OpenLog>();
const schedule = new DeadlineSchedule();
/** Every open segment and index file of this worker's partitions, under its descriptor budget. */
const files = new FdCache(data.descriptorBudget);
/** Partitions appended to since the last publishDone. */
const touched = new Set<OpenLog>();
let handledControlSeq = data.controlSeqAtStart;
let stopping = false;

function send(event: SupervisedEvent): void {
  port.postMessage(event);
}

function publishState(entry: OpenLog): void {
  const log = entry.log;
  entry.state.publish({
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    highWatermark: log.highWatermark,
    sizeBytes: log.sizeBytes,
    segmentCount: log.segmentCount,
    recoveryPoint: log.recoveryPoint,
  });
}

/** Puts the partition's next time-based work (Infinity: none until it changes) on the schedule. */
function reschedule(entry: OpenLog): void {
  schedule.set(entry.slot, entry.log.nextDeadlineMs());
}

function appendFrame(entry: OpenLog | undefined, batches: Uint8Array): Completion {
  // A produce for a partition this worker does not hold (closed meanwhile): retriable.
  if (entry === undefined) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
  let result: AppendResult;
  try {
    result = entry.log.append(batches);
  } catch (err) {
    // The log cut its files back: this produce fails alone, the next may succeed.
    if (err instanceof StorageError) return { errorCode: kafkaCodeFor(err, 'partition'), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    throw err;
  }
  touched.add(entry);
  return { errorCode: result.errorCode, baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTimeMs, logStartOffset: entry.log.logStartOffset };
}

/** Makes the appends so far visible: state first (a fetch woken by a completion must find the new high watermark), ring space back, then the completions. */
function publishDone(): void {
  for (const entry of touched) {
    publishState(entry);
    reschedule(entry);
  }
  touched.clear();
  frames.release();
  completions.publish();
}

/** Stages one completion; publishes what is done first if the completion ring is full. */
function stageCompletion(frameId: number, completion: Completion): void {
  let view = completions.tryReserve(COMPLETION_PAYLOAD_BYTES);
  if (view === null) publishDone(); // the main thread can only free completions it can see
  while (view === null) {
    completions.waitForSpaceSync(1000);
    view = completions.tryReserve(COMPLETION_PAYLOAD_BYTES);
  }
  encodeCompletion(view, completion);
  completions.commit(frameId, false);
}

/** Appends every published frame; returns how many. */
function drain(): number {
  let count = 0;
  let unpublishedBytes = 0;
  for (let frame = frames.next(); frame !== null; frame = frames.next()) {
    const entry = logs.get(produceFrameSlot(frame.payload));
    stageCompletion(frame.frameId, appendFrame(entry, produceFrameBatches(frame.payload)));
    count++;
    unpublishedBytes += frame.payload.byteLength;
    if (unpublishedBytes >= PUBLISH_EVERY_BYTES) {
      publishDone();
      unpublishedBytes = 0;
    }
  }
  if (count > 0) publishDone();
  return count;
}

/** Runs the time-based work of every partition whose deadline has come. */
function runDue(nowMs: number): void {
  for (const slot of schedule.takeDue(nowMs)) {
    const entry = logs.get(slot);
    if (entry === undefined) continue;
    control.countDeadlineRun();
    try {
      entry.log.tick();
    } catch (err) {
      // One partition's disk trouble must not take its neighbours down: retry it later.
      if (!(err instanceof StorageError)) throw err;
      schedule.set(slot, nowMs + DEADLINE_RETRY_MS);
      continue;
    }
    publishState(entry);
    reschedule(entry);
  }
}

/** Polls the ring for up to SPIN_MS when recent spins found frames and a spin token is free. */
function spinForFrames(): boolean {
  if (!spinBackoff.shouldSpin() || !spinBudget.tryAcquire()) return false;
  try {
    const untilMs = performance.now() + SPIN_MS;
    do {
      if (frames.hasFrames() || control.controlSeq() !== handledControlSeq) {
        spinBackoff.hit();
        return true;
      }
    } while (performance.now() < untilMs);
    spinBackoff.miss();
    return false;
  } finally {
    spinBudget.release();
  }
}

function runBurst(): void {
  const burstEndMs = Date.now() + BURST_MS;
  while (!stopping && control.controlSeq() === handledControlSeq) {
    const appended = drain();
    runDue(Date.now());
    if (Date.now() >= burstEndMs) break;
    if (appended > 0 || spinForFrames()) continue;
    // Nothing to do: sleep until a frame, a control message, or the next deadline (maybe never).
    const waitMs = schedule.nextMs() - Date.now();
    if (waitMs <= 0) continue;
    control.enterWait();
    frames.waitForFrames(waitMs, () => stopping || control.controlSeq() !== handledControlSeq);
    control.leaveWait();
  }
  if (!stopping) setImmediate(runBurst);
}

function reply(requestId: number, run: () => unknown): void {
  try {
    send({ type: 'reply', requestId, result: run() });
  } catch (err) {
    send({ type: 'reply', requestId, error: toWire(err) });
  }
}

function openLog(spec: PartitionSpec): void {
  // A new partition must not inherit files a crash left behind mid-deletion of an older topic.
  if (spec.fresh) fs.rmSync(spec.dir, { recursive: true, force: true });
  const log = PartitionLog.open(spec.dir, spec.config, faults === null ? { files } : { files, io: faults.io });
  const entry: OpenLog = { slot: spec.slot, name: `${spec.topic}-${spec.partition}`, log, state: new SharedPartitionState(spec.stateSab) };
  logs.set(spec.slot, entry);
  publishState(entry);
  reschedule(entry);
}

function open(partitions: PartitionSpec[]): OpenReply {
  const failed: OpenReply['failed'] = [];
  for (const spec of partitions) {
    if (logs.has(spec.slot)) continue; // already open (a retried open after a lost reply)
    try {
      openLog(spec);
    } catch (err) {
      failed.push({ slot: spec.slot, error: toWire(err) });
    }
  }
  control.setOpenCount(logs.size);
  return { failed };
}

/** Closes (or deletes) the logs; every slot is released even if one fails, the first failure is rethrown. */
function close(slots: readonly number[], deleteLogs: boolean): void {
  drain();
  let firstError: unknown = null;
  for (const slot of slots) {
    const entry = logs.get(slot);
    if (entry === undefined) continue;
    logs.delete(slot);
    schedule.delete(slot);
    try {
      if (deleteLogs) entry.log.delete();
      else entry.log.close();
    } catch (err) {
      firstError ??= err;
    }
  }
  control.setOpenCount(logs.size);
  if (firstError !== null) throw firstError;
}

function existing(slot: number): OpenLog {
  const entry = logs.get(slot);
  if (entry === undefined) throw new BrookError('PARTITION_CLOSED', `partition slot ${slot} is not open on partition worker ${data.workerIndex}`);
  return entry;
}

function handle(request: WorkerRequest): void {
  switch (request.type) {
    case 'open':
      return reply(request.requestId, () => open(request.partitions));
    case 'close':
      return reply(request.requestId, () => close(request.slots, request.deleteLogs));
    case 'updateConfig':
      return reply(request.requestId, () => {
        for (const slot of request.slots) {
          const entry = logs.get(slot);
          if (entry === undefined) continue;
          entry.log.updateConfig(request.config);
          reschedule(entry);
        }
      });
    case 'flush':
      return reply(request.requestId, () => {
        drain();
        for (const entry of request.slots === undefined ? logs.values() : request.slots.map(existing)) {
          entry.log.flush();
          publishState(entry);
        }
      });
    case 'deleteRecords':
      return reply(request.requestId, () => {
        drain();
        const entry = existing(request.slot);
        const lowWatermark = entry.log.deleteRecordsBefore(request.offset === -1 ? entry.log.highWatermark : request.offset);
        publishState(entry);
        reschedule(entry);
        return lowWatermark;
      });
    case 'activeProducers':
      return reply(request.requestId, () => existing(request.slot).log.activeProducers());
    case 'shutdown':
      stopping = true;
      reply(request.requestId, () => close([...logs.keys()], false));
      setImmediate(() => port.close());
      return;
    case 'stall':
      control.waitForControl(handledControlSeq, request.ms);
      return;
    case 'faults':
      return reply(request.requestId, () => {
        if (faults === null) throw new BrookError('FAULTS_DISABLED', 'this worker was started without a FaultSpec');
        return faults.apply(request.command);
      });
    case 'crash':
      if (request.mode === 'powerLoss') {
        // No close(): a power loss writes nothing more; the unsynced tails are gone.
        if (faults === null) throw new Error('powerLoss needs a FaultSpec');
        faults.io.simulateCrash();
        process.exit(71);
      }
      if (request.mode === 'exit') process.exit(70);
      throw new Error('injected partition worker crash');
  }
}

port.on('message', (request: WorkerRequest) => {
  handledControlSeq++;
  handle(request);
});

send({ type: 'ready' });
setImmediate(runBurst);
