/**
 * The main thread's side of one partition: its worker, produce ring, completion ring, published
 * state and LogReader. Owned by the main thread (the Broker); not thread-safe.
 *
 * Produce: batches queue in FIFO order; the pump copies each ONCE into the ring (waiting for space
 * with Atomics.waitAsync when full: backpressure) and remembers its slot. The worker answers each
 * frame with one completion frame, in order, so completions resolve the in-flight FIFO's head.
 *
 * Worker failure: on an unexpected exit, completions already published are delivered (those
 * produces are on disk), every other in-flight produce answers NOT_LEADER_OR_FOLLOWER (retriable:
 * it may or may not have been appended; an idempotent producer's retry is deduplicated), and a
 * new worker with fresh rings recovers the log. Queued produces that never reached the old ring go
 * to the new one. After CRASHES_BEFORE_OFFLINE failed starts in a row the partition goes offline
 * and answers KAFKA_STORAGE_ERROR.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { assert } from '../common/assert.js';
import { BrookError } from '../common/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { LogReader } from '../storage/log-reader.js';
import type { LogConfig } from '../storage/log-config.js';
import { createRingBuffer, RingConsumer, RingProducer, wakeAllWaiters } from './ring.js';
import { createStateBuffer, decodeCompletion, SharedPartitionState, SpinBudget, type WorkerSpinData } from './partition-state.js';
import type { PartitionWorkerData, WorkerEvent, WorkerRequest, WorkerRequestWithoutId } from './messages.js';
import type { ProduceResult } from './broker-types.js';
import type { FaultCommand, FaultCounts, FaultSpec } from './fault-injection.js';
import { workerExecArgv } from './worker-exec-argv.js';

/** Completion frames are 40 bytes in the ring: room for ~1,600 produces not yet seen by the main thread. */
const COMPLETION_RING_BYTES = 64 * 1024;
const CRASHES_BEFORE_OFFLINE = 5;
const SLOT_ID_MASK = 0x7fffffff;
/** The pump publishes staged frames at the latest after this many bytes (see pump()). */
const PUBLISH_EVERY_BYTES = 256 * 1024;

/** One per process: every partition worker draws from it (see SpinBudget). One core stays with the main thread. */
const spinBudget = SpinBudget.create(os.availableParallelism() - 1);

/** The worker runs from dist/ (tsc output), also when this module is loaded from src/ by tests. */
function workerScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'partition-worker.js');
  return path.resolve(path.dirname(here), '../../dist/src/engine/partition-worker.js');
}

type Status = 'starting' | 'running' | 'restarting' | 'closing' | 'closed' | 'offline';

interface Pending<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** A produce answered with an error and no offsets (the Broker's own refusals use it too). */
export function produceError(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/**
 * A completion carries only a code; the broker checked framing and headers before the ring, so
 * CORRUPT_MESSAGE here is a CRC and INVALID_RECORD / INVALID_TIMESTAMP come from the record walk
 * (storage/append-checks.ts).
 */
function completionMessage(errorCode: number): string | null {
  switch (errorCode) {
    case ErrorCode.CORRUPT_MESSAGE:
      return 'a record batch failed its CRC-32C check';
    case ErrorCode.INVALID_RECORD:
      return 'a record batch\'s records do not match its header (recordsCount, lastOffsetDelta, offset deltas 0..n-1) or lack a key on a compacted topic';
    case ErrorCode.INVALID_TIMESTAMP:
      return 'a record timestamp is outside message.timestamp.before.max.ms / message.timestamp.after.max.ms of the broker clock';
    default:
      return null;
  }
}

export class PartitionHandle {
  readonly state = new SharedPartitionState(createStateBuffer());
  private status: Status = 'starting';
  private worker: Worker | null = null;
  private generation = 0;
  private producer!: RingProducer;
  private completions!: RingConsumer;
  private ringSab!: SharedArrayBuffer;
  private completionSab!: SharedArrayBuffer;
  private readonly writeQueue: { batches: Uint8Array; resolve(result: ProduceResult): void }[] = [];
  private readonly inflight: { slotId: number; resolve(result: ProduceResult): void }[] = [];
  private nextSlotId = 0;
  private pumping = false;
  private pumpScheduled = false;
  private readonly requests = new Map<number, Pending<unknown>>();
  private nextRequestId = 0;
  private readonly appendListeners = new Set<() => void>();
  private logReader: LogReader | null = null;
  private crashCount = 0;
  private ready!: Promise<void>;
  private readyPending!: Pending<void>;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private config: LogConfig,
    private readonly ringBytes: number,
    private readonly tickIntervalMs: number,
    /** Tests only: the worker opens its log through a seeded FaultyIo (fault-injection.ts). */
    private readonly faults?: FaultSpec,
  ) {}

  /** Starts the worker; resolves when its log is open and recovered. */
  start(): Promise<void> {
    this.spawn();
    return this.whenReady();
  }

  /** Resolves once a worker is ready, across restarts; rejects when the partition goes offline. */
  private async whenReady(): Promise<void> {
    for (;;) {
      try {
        return await this.ready;
      } catch (err) {
        if (this.status === 'offline' || this.status === 'closed' || this.status === 'closing') throw err;
      }
    }
  }

  /** How many times a worker was started after the first (crashes recovered from). */
  get restartCount(): number {
    return this.generation - 1;
  }

  get isOnline(): boolean {
    return this.status !== 'offline' && this.status !== 'closed';
  }

  /** The largest produce (all batches of one request for this partition) one ring frame carries. */
  get maxProduceBytes(): number {
    return this.producer.maxPayloadBytes;
  }

  private spawn(): void {
    const generation = ++this.generation;
    this.ringSab = createRingBuffer(this.ringBytes);
    this.completionSab = createRingBuffer(COMPLETION_RING_BYTES);
    this.producer = new RingProducer(this.ringSab);
    this.completions = new RingConsumer(this.completionSab);
    this.ready = new Promise<void>((resolve, reject) => (this.readyPending = { resolve, reject }));
    this.ready.catch(() => {}); // observed by start() and shutdown(); never an unhandled rejection
    const workerData: PartitionWorkerData & WorkerSpinData = {
      topic: this.topic,
      partition: this.partition,
      dir: this.dir,
      config: this.config,
      ringSab: this.ringSab,
      completionSab: this.completionSab,
      stateSab: this.state.sab,
      tickIntervalMs: this.tickIntervalMs,
      controlSeqAtStart: this.state.controlSeq(),
      spinSab: spinBudget.sab,
      maxSpinners: os.availableParallelism() - 1,
      ...(this.faults === undefined ? {} : { faults: this.faults }),
    };
    const worker = new Worker(workerScriptPath(), { workerData, execArgv: workerExecArgv(), name: `brook ${this.topic}-${this.partition}` });
    this.worker = worker;
    let lastError: unknown = null;
    this.exited = new Promise((resolve) => {
      worker.on('message', (event: WorkerEvent) => this.onEvent(generation, event, (e) => (lastError = e)));
      worker.on('error', (err) => (lastError = err));
      worker.on('exit', (code) => {
        this.onExit(generation, code, lastError);
        resolve();
      });
    });
    void this.drainCompletions(generation);
    void this.pump();
  }

  private onEvent(generation: number, event: WorkerEvent, setError: (err: unknown) => void): void {
    if (generation !== this.generation) return;
    switch (event.type) {
      case 'ready':
        if (this.status === 'starting' || this.status === 'restarting') this.status = 'running';
        this.crashCount = 0;
        this.readyPending.resolve();
        return;
      case 'reply': {
        const pending = this.requests.get(event.requestId);
        if (pending === undefined) return;
        this.requests.delete(event.requestId);
        if (event.error !== undefined) pending.reject(BrookError.fromWire(event.error));
        else pending.resolve(event.result);
        return;
      }
      case 'fatal':
        setError(BrookError.fromWire(event.error));
        return;
    }
  }

  private onExit(generation: number, code: number, lastError: unknown): void {
    if (generation !== this.generation) return;
    this.worker = null;
    this.deliverCompletions(); // published before the exit: those produces are on disk
    const lost = this.inflight.splice(0);
    for (const p of lost) p.resolve(produceError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition worker restarted; retry'));
    const reason = new BrookError('WORKER_EXITED', `partition worker ${this.topic}-${this.partition} exited (code ${code})`, { cause: lastError });
    for (const pending of this.requests.values()) pending.reject(reason);
    this.requests.clear();
    this.readyPending.reject(lastError ?? reason);
    wakeAllWaiters(this.ringSab);
    wakeAllWaiters(this.completionSab);
    if (this.status === 'closing' || this.status === 'closed') {
      this.status = 'closed';
      return;
    }
    if (++this.crashCount >= CRASHES_BEFORE_OFFLINE) {
      this.status = 'offline';
      for (const p of this.writeQueue.splice(0)) p.resolve(produceError(ErrorCode.KAFKA_STORAGE_ERROR, `partition offline: ${reason.message}`));
      return;
    }
    this.status = 'restarting';
    this.spawn();
  }

  /** Resolves produces whose completions the worker published. Main thread, never blocks. */
  private deliverCompletions(): void {
    let appended = false;
    for (let frame = this.completions.next(); frame !== null; frame = this.completions.next()) {
      const completion = decodeCompletion(frame.payload);
      const head = this.inflight.shift();
      assert(head !== undefined && head.slotId === frame.frameId, `completion for slot ${frame.frameId} out of order`);
      if (completion.errorCode === ErrorCode.NONE) appended = true;
      head.resolve({ ...completion, errorMessage: completionMessage(completion.errorCode) });
    }
    this.completions.release();
    if (appended) for (const listener of [...this.appendListeners]) listener();
  }

  private async drainCompletions(generation: number): Promise<void> {
    const completions = this.completions;
    while (generation === this.generation && this.worker !== null) {
      this.deliverCompletions();
      await completions.waitForFramesAsync();
    }
  }

  /** Copies `batches` once into the ring and resolves when the worker has appended them. */
  produce(batches: Uint8Array): Promise<ProduceResult> {
    if (this.status === 'offline') return Promise.resolve(produceError(ErrorCode.KAFKA_STORAGE_ERROR, 'partition offline'));
    if (this.status === 'closing' || this.status === 'closed') return Promise.resolve(produceError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'broker is closing'));
    assert(batches.byteLength <= this.producer.maxPayloadBytes, 'produce larger than a ring frame; the broker checks first');
    return new Promise((resolve) => {
      this.writeQueue.push({ batches, resolve });
      this.schedulePump();
    });
  }

  /**
   * Pumps in a microtask rather than at once, so every produce issued in the same synchronous run
   * (a request with many batches, producers resuming after one delivery of completions) reaches
   * the worker with one TAIL store and at most one wake-up.
   */
  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  /** Moves queued produces into the ring in order, awaiting space when it is full. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let unpublishedBytes = 0;
    try {
      while (this.writeQueue.length > 0 && this.worker !== null) {
        const next = this.writeQueue[0]!;
        const producer = this.producer;
        const view = producer.tryReserve(next.batches.byteLength);
        if (view === null) {
          unpublishedBytes = 0;
          await producer.waitForSpace(); // publishes first; a crash wakes it (wakeAllWaiters) and the loop moves on
          continue;
        }
        view.set(next.batches);
        const slotId = this.nextSlotId;
        this.nextSlotId = (slotId + 1) & SLOT_ID_MASK;
        this.writeQueue.shift();
        this.inflight.push({ slotId, resolve: next.resolve });
        // Big produces go out one by one, so the worker writes while this thread copies the next.
        unpublishedBytes += next.batches.byteLength;
        const publishNow = unpublishedBytes >= PUBLISH_EVERY_BYTES;
        if (publishNow) unpublishedBytes = 0;
        producer.commit(slotId, publishNow);
      }
    } finally {
      this.producer.publish();
      this.pumping = false;
    }
  }

  /** Produces waiting for ring space plus those in the ring or being appended. */
  get pendingProduceCount(): number {
    return this.writeQueue.length + this.inflight.length;
  }

  /** Sends a control message and resolves with the worker's reply (rejects with its BrookError). */
  async request<T>(message: WorkerRequestWithoutId): Promise<T> {
    await this.whenReady();
    const worker = this.worker;
    if (worker === null) throw new BrookError('WORKER_EXITED', `partition ${this.topic}-${this.partition} has no worker`);
    const requestId = ++this.nextRequestId;
    const reply = new Promise<T>((resolve, reject) => this.requests.set(requestId, { resolve: resolve as (v: unknown) => void, reject }));
    worker.postMessage({ ...message, requestId });
    this.state.bumpControlSeq();
    this.producer.wakeConsumer();
    return reply;
  }

  async updateConfig(config: LogConfig): Promise<void> {
    this.config = config;
    if (this.isOnline) await this.request({ type: 'updateConfig', config });
  }

  /**
   * Test hook: makes the worker die ('throw' = uncaught exception, 'exit' = process.exit,
   * 'powerLoss' = its FaultyIo forgets every unsynced byte first; needs BrokerOptions.faults).
   */
  injectCrash(mode: 'throw' | 'exit' | 'powerLoss'): void {
    this.postUnanswered({ type: 'crash', mode });
  }

  /** Test hook: arms or clears I/O faults in the worker (needs BrokerOptions.faults); resolves with its reply. */
  injectFaults(command: FaultCommand): Promise<FaultCounts | undefined> {
    return this.request<FaultCounts | undefined>({ type: 'faults', command });
  }

  /** Test hook: the worker stops draining its ring for `ms` (a slow disk). */
  injectStall(ms: number): void {
    this.postUnanswered({ type: 'stall', ms });
  }

  private postUnanswered(message: WorkerRequest): void {
    this.worker?.postMessage(message);
    this.state.bumpControlSeq();
    this.producer.wakeConsumer();
  }

  /** Bytes in the produce ring now (a snapshot; for stats and tests). */
  get ringUsedBytes(): number {
    return this.producer.usedBytes();
  }

  get ringCapacityBytes(): number {
    return this.producer.capacityBytes;
  }

  /** Calls `listener` after each batch of successful appends; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * The main thread's read-only view of the log (opened on first use, after the worker created the
   * dir). Refused once the partition is closing: reading then would reopen files nobody closes.
   */
  reader(): LogReader {
    if (this.status === 'closing' || this.status === 'closed') throw new BrookError('PARTITION_CLOSED', `partition ${this.topic}-${this.partition} is closed`);
    this.logReader ??= new LogReader(this.dir);
    return this.logReader;
  }

  /**
   * Lets queued produces reach the ring, then has the worker drain it and close (or delete) its
   * log, and waits for it to exit. Safe to call more than once.
   */
  async shutdown(deleteLog: boolean): Promise<void> {
    if (this.status === 'closed' || this.status === 'offline') {
      this.closeReader();
      return;
    }
    if (this.status === 'closing') return this.exited;
    await this.ready.catch(() => {});
    while (this.writeQueue.length > 0 && this.worker !== null) await this.pumpDone();
    this.status = 'closing';
    this.closeReader();
    if (this.worker !== null) {
      const exited = this.exited;
      await this.request({ type: 'shutdown', deleteLog }).catch(() => {});
      await exited;
    }
    this.status = 'closed';
  }

  private async pumpDone(): Promise<void> {
    await this.pump();
    if (this.writeQueue.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  private closeReader(): void {
    this.logReader?.close();
    this.logReader = null;
  }
}
