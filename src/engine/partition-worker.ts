/**
 * The partition worker: a worker_thread that owns one PartitionLog, the only writer of its
 * directory (DESIGN.md rule 1). Started from dist/ by partition-handle.ts with PartitionWorkerData.
 *
 * Loop: block on the produce ring (Atomics.wait: workers may block), take ALL frames published so
 * far, append each straight from its ring view (PartitionLog.append writes the view with one
 * fs write; no copy), publish the new state, release the ring space, then publish one completion
 * frame per produce with a single TAIL store (at the latest every PUBLISH_EVERY_BYTES). A wake-up
 * costs ~50 µs, so one wake-up serves every frame that arrived meanwhile, both ways. Between bursts the loop yields to its event loop (setImmediate) so control messages
 * (postMessage) are handled; the main thread bumps controlSeq and wakes the ring when it posts one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BrookError, StorageError } from '../common/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { PartitionLog, type AppendResult } from '../storage/partition-log.js';
import { RingConsumer, RingProducer } from './ring.js';
import { COMPLETION_PAYLOAD_BYTES, encodeCompletion, SharedPartitionState, SpinBackoff, SpinBudget, type Completion, type WorkerSpinData } from './partition-state.js';
import { toWire, type PartitionWorkerData, type WorkerEvent, type WorkerRequest } from './messages.js';
import { workerFaultsFor } from './fault-injection.js';

/** Longest one burst holds the thread before it lets control messages in. */
const BURST_MS = 50;
/** How long a dry ring is polled before blocking: about what a wake-up costs (DESIGN.md). */
const SPIN_MS = 0.05;
/** SpinBackoff: spinning stops after 3 fruitless spins in a row, then probes at least every 65th dry ring. */
const SPIN_BACKOFF_MAX_SKIP = 64;
const SPIN_MISSES_BEFORE_SKIPPING = 3;

const data = workerData as PartitionWorkerData & WorkerSpinData;
const port = parentPort!;
const frames = new RingConsumer(data.ringSab);
const completions = new RingProducer(data.completionSab);
const shared = new SharedPartitionState(data.stateSab);
const spinBudget = new SpinBudget(data.spinSab, data.maxSpinners);
const spinBackoff = new SpinBackoff(SPIN_BACKOFF_MAX_SKIP, SPIN_MISSES_BEFORE_SKIPPING);
let log: PartitionLog;
let handledControlSeq = data.controlSeqAtStart;
let nextTickMs = Date.now() + data.tickIntervalMs;
let stopping = false;
/** Null unless started with a FaultSpec: then the log's every file call goes through a FaultyIo. */
const faults = workerFaultsFor(data.faults, 'partitions', `${data.topic}-${data.partition}`);

function send(event: WorkerEvent): void {
  port.postMessage(event);
}

function publishState(): void {
  shared.publish({
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    highWatermark: log.highWatermark,
    sizeBytes: log.sizeBytes,
    segmentCount: log.segmentCount,
    recoveryPoint: log.recoveryPoint,
  });
}

function appendFrame(payload: Uint8Array): Completion {
  let result: AppendResult;
  try {
    result = log.append(payload);
  } catch (err) {
    // The log cut its files back: this produce fails alone, the next may succeed.
    if (err instanceof StorageError) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    throw err;
  }
  return { errorCode: result.errorCode, baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTimeMs, logStartOffset: log.logStartOffset };
}

/**
 * Within one drain, completions are published after this many appended bytes even if more frames
 * wait: with big produces the main thread refills the ring while this thread writes, instead of
 * both taking turns; with small ones a whole drain still costs one wake-up.
 */
const PUBLISH_EVERY_BYTES = 256 * 1024;

/** Makes the appends so far visible: state first (a fetch woken by a completion must find the new high watermark), ring space back, then the completions. */
function publishDone(): void {
  publishState();
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

/**
 * Appends every published frame; returns how many. Completions are staged and published with one
 * TAIL store per drain (or per PUBLISH_EVERY_BYTES), so the main thread gets one wake-up for many
 * produces, not one each (~50 µs per wake-up).
 */
function drain(): number {
  let count = 0;
  let unpublishedBytes = 0;
  for (let frame = frames.next(); frame !== null; frame = frames.next()) {
    stageCompletion(frame.frameId, appendFrame(frame.payload));
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

function tickIfDue(): void {
  const nowMs = Date.now();
  if (nowMs < nextTickMs) return;
  nextTickMs = nowMs + data.tickIntervalMs;
  log.tick();
  publishState();
}

/** Polls the ring for up to SPIN_MS when recent spins found frames and a spin token is free; true when a frame (or a control message) arrived meanwhile, so the caller skips Atomics.wait and the main thread its notify. */
function spinForFrames(): boolean {
  if (!spinBackoff.shouldSpin() || !spinBudget.tryAcquire()) return false;
  try {
    const untilMs = performance.now() + SPIN_MS;
    do {
      if (frames.hasFrames() || shared.controlSeq() !== handledControlSeq) {
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
  while (!stopping && shared.controlSeq() === handledControlSeq) {
    const appended = drain();
    tickIfDue();
    const nowMs = Date.now();
    if (nowMs >= burstEndMs) break;
    if (appended === 0 && !spinForFrames()) frames.waitForFrames(Math.max(1, Math.min(nextTickMs, burstEndMs) - nowMs));
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

function handle(request: WorkerRequest): void {
  switch (request.type) {
    case 'updateConfig':
      return reply(request.requestId, () => log.updateConfig(request.config));
    case 'flush':
      return reply(request.requestId, () => {
        drain();
        log.flush();
        publishState();
      });
    case 'deleteRecords':
      return reply(request.requestId, () => {
        drain();
        const lowWatermark = log.deleteRecordsBefore(request.offset === -1 ? log.highWatermark : request.offset);
        publishState();
        return lowWatermark;
      });
    case 'activeProducers':
      return reply(request.requestId, () => log.activeProducers());
    case 'shutdown':
      stopping = true;
      reply(request.requestId, () => {
        drain();
        if (request.deleteLog) log.delete();
        else log.close();
      });
      setImmediate(() => port.close());
      return;
    case 'stall':
      shared.waitForControl(handledControlSeq, request.ms);
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

try {
  log = PartitionLog.open(data.dir, data.config, faults === null ? {} : { io: faults.io });
  publishState();
  send({ type: 'ready' });
  setImmediate(runBurst);
} catch (err) {
  send({ type: 'fatal', error: toWire(err) });
  port.close();
}
