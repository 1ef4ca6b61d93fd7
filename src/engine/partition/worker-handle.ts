/**
 * The main thread's side of one partition worker: the supervised thread, its produce ring and
 * completion ring, and the produces in flight for every partition it owns. Owned by
 * PartitionWorkers (main thread); not thread-safe.
 *
 * Produce: batches of all the worker's partitions queue in one FIFO; the pump copies each ONCE
 * into the ring behind an 8-byte header naming the partition's slot (produce-frame.ts), waiting
 * for space with Atomics.waitAsync when the ring is full (backpressure for every partition of the
 * worker). The worker answers each frame with one completion, in order, so completions resolve
 * the in-flight FIFO's head.
 *
 * Opens and closes are batched: every open (or close) asked for in one synchronous run goes to the
 * worker as one message, so creating a 1,000-partition topic costs one message per worker.
 *
 * Worker failure: on an unexpected exit, completions already published are delivered (those
 * produces are on disk), every other in-flight produce answers NOT_LEADER_OR_FOLLOWER (retriable:
 * it may or may not have been appended; an idempotent producer's retry is deduplicated), and a new
 * worker with fresh rings reopens (recovers) every partition the old one held before any queued
 * produce reaches its ring. Only this worker's partitions are affected. After
 * FAILED_STARTS_BEFORE_OFFLINE failed starts in a row the worker stays down and its partitions
 * answer KAFKA_STORAGE_ERROR.
 */
import os from 'node:os';
import { assert } from '../../common/assert.js';
import { BrookError } from '../../common/errors.js';
import { BROOK_ERRORS } from '../../common/error-table.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { LogConfig } from '../../storage/log-config.js';
import { createRingBuffer, RingConsumer, RingProducer, wakeAllWaiters } from '../ring.js';
import { SupervisedWorker, workerScriptPath } from '../supervised-worker.js';
import type { FaultCommand, FaultCounts, FaultSpec } from '../fault-injection.js';
import type { ActiveProducer, ProduceResult } from '../broker-types.js';
import { decodeCompletion } from './partition-state.js';
import { SpinBudget } from './spin.js';
import { WorkerControl } from './worker-control.js';
import { PRODUCE_FRAME_HEADER_BYTES, writeProduceFrameHeader } from './produce-frame.js';
import type { OpenReply, PartitionSpec, PartitionWorkerData, WorkerRequestWithoutId } from './messages.js';
import type { Partition } from './partition.js';

/** Completion frames are 40 bytes in the ring: room for ~1,600 produces not yet seen by the main thread. */
const COMPLETION_RING_BYTES = 64 * 1024;
const FAILED_STARTS_BEFORE_OFFLINE = 5;
const FRAME_ID_MASK = 0x7fffffff;
/** The pump publishes staged frames at the latest after this many bytes (see pump()). */
const PUBLISH_EVERY_BYTES = 256 * 1024;

/** One per process: every partition worker draws from it (spin.ts). One core stays with the main thread. */
const spinBudget = SpinBudget.create(os.availableParallelism() - 1);

/** A produce answered with an error and no offsets (the Broker's own refusals use it too). */
export function produceError(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/** A completion carries only a code; the broker checked framing and headers before the ring. */
function completionMessage(errorCode: number): string | null {
  switch (errorCode) {
    case ErrorCode.CORRUPT_MESSAGE:
      return 'a record batch failed its CRC-32C check';
    // From the record walk of storage/append-checks.ts (the broker checked framing and headers).
    case ErrorCode.INVALID_RECORD:
      return 'a record batch\'s records do not match its header (recordsCount, lastOffsetDelta, offset deltas 0..n-1) or lack a key on a compacted topic';
    case ErrorCode.INVALID_TIMESTAMP:
      return 'a record timestamp is outside message.timestamp.before.max.ms / message.timestamp.after.max.ms of the broker clock';
    default:
      return null;
  }
}

interface QueuedProduce {
  partition: Partition;
  batches: Uint8Array;
  resolve(result: ProduceResult): void;
}

interface InflightProduce {
  frameId: number;
  partition: Partition;
  resolve(result: ProduceResult): void;
}

interface Batched<T> {
  items: T[];
  done: Promise<unknown>;
}

export interface PartitionWorkerStats {
  kind: 'partition';
  index: number;
  partitionCount: number;
  ringUsedBytes: number;
  ringCapacityBytes: number;
  queuedProduceCount: number;
  restartCount: number;
}

export interface WorkerHandleOptions {
  index: number;
  ringBytes: number;
  descriptorBudget: number;
  faults?: FaultSpec;
}

export class PartitionWorkerHandle {
  readonly control = WorkerControl.create();
  private readonly supervisor: SupervisedWorker;
  private producer!: RingProducer;
  private completions!: RingConsumer;
  private ringSab!: SharedArrayBuffer;
  private completionSab!: SharedArrayBuffer;
  private readonly writeQueue: QueuedProduce[] = [];
  private readonly inflight: InflightProduce[] = [];
  private nextFrameId = 0;
  private pumping = false;
  private pumpScheduled = false;
  /** True once the current worker is ready and holds every partition assigned to it. */
  private usable = false;
  /** The partitions this worker holds (open) or is opening, by slot. */
  readonly partitions = new Map<number, Partition>();
  private nextSlot = 0;
  /** Bytes produced through this worker, for balancing new partitions by load (partition-workers.ts). */
  producedBytes = 0;
  private openBatch: Batched<{ partition: Partition; spec: PartitionSpec }> | null = null;
  private readonly closeBatches = new Map<boolean, Batched<number>>();

  constructor(private readonly options: WorkerHandleOptions) {
    this.supervisor = new SupervisedWorker({
      name: `brook partition-worker-${options.index}`,
      scriptPath: workerScriptPath(import.meta.url, 'partition-worker.js'),
      workerData: () => this.freshWorkerData(),
      failedStartsBeforeOffline: FAILED_STARTS_BEFORE_OFFLINE,
      // A worker blocked on its ring learns of a posted message through controlSeq and a ring wake-up.
      onPosted: () => {
        this.control.bumpControlSeq();
        this.producer.wakeConsumer();
      },
      onSpawn: (generation) => void this.afterSpawn(generation),
      onExit: ({ code, cause, restarting }) => this.afterExit(code, cause, restarting),
    });
  }

  get index(): number {
    return this.options.index;
  }

  private started: Promise<void> | null = null;

  /** Starts the worker unless it was started already; resolves once it is ready. */
  start(): Promise<void> {
    this.started ??= this.supervisor.start();
    return this.started;
  }

  get isStarted(): boolean {
    return this.started !== null;
  }

  get restartCount(): number {
    return this.supervisor.restartCount;
  }

  get isOnline(): boolean {
    const status = this.supervisor.status;
    return this.started === null || (status !== 'offline' && status !== 'closed' && status !== 'closing');
  }

  /** The largest produce (all batches of one request for one partition) one ring frame carries. */
  get maxProduceBytes(): number {
    return this.producer.maxPayloadBytes - PRODUCE_FRAME_HEADER_BYTES;
  }

  stats(): PartitionWorkerStats {
    return {
      kind: 'partition',
      index: this.options.index,
      partitionCount: this.partitions.size,
      ringUsedBytes: this.started === null ? 0 : this.producer.usedBytes(),
      ringCapacityBytes: this.started === null ? 0 : this.producer.capacityBytes,
      queuedProduceCount: this.writeQueue.length + this.inflight.length,
      restartCount: this.restartCount,
    };
  }

  private freshWorkerData(): PartitionWorkerData {
    this.ringSab = createRingBuffer(this.options.ringBytes);
    this.completionSab = createRingBuffer(COMPLETION_RING_BYTES);
    this.producer = new RingProducer(this.ringSab);
    this.completions = new RingConsumer(this.completionSab);
    return {
      workerIndex: this.options.index,
      ringSab: this.ringSab,
      completionSab: this.completionSab,
      controlSab: this.control.sab,
      controlSeqAtStart: this.control.controlSeq(),
      spinSab: spinBudget.sab,
      maxSpinners: os.availableParallelism() - 1,
      descriptorBudget: this.options.descriptorBudget,
      ...(this.options.faults === undefined ? {} : { faults: this.options.faults }),
    };
  }

  /** A new worker (first or after a crash): read its completions, then reopen what the last one held. */
  private async afterSpawn(generation: number): Promise<void> {
    void this.drainCompletions(generation);
    // Partitions still opening had their open refused with the old worker (WORKER_EXITED) and ask again.
    const held = [...this.partitions.values()].filter((p) => p.status === 'open');
    try {
      await this.supervisor.whenReady();
      if (held.length > 0) await this.reopen(held);
    } catch {
      return; // the worker died again or went offline; afterExit dealt with it
    }
    if (this.supervisor.generation !== generation) return;
    this.usable = true;
    this.schedulePump();
  }

  private async reopen(partitions: Partition[]): Promise<void> {
    const reply = await this.request<OpenReply>({ type: 'open', partitions: partitions.map((p) => p.specFor(p.slot)) });
    for (const { slot, error } of reply.failed) this.partitions.get(slot)?.markOffline(`reopen after a worker restart failed: ${error.message}`);
  }

  private afterExit(code: number, cause: unknown, restarting: boolean): void {
    this.usable = false;
    this.deliverCompletions(); // published before the exit: those produces are on disk
    for (const p of this.inflight.splice(0)) p.partition.settleProduce(p.resolve, produceError(BROOK_ERRORS.WORKER_EXITED.kafka, 'partition worker restarted; retry'));
    wakeAllWaiters(this.ringSab);
    wakeAllWaiters(this.completionSab);
    if (restarting || !this.isOfflineNow()) return;
    const reason = `partition worker ${this.options.index} is offline (exit code ${code}${cause instanceof Error ? `: ${cause.message}` : ''})`;
    for (const q of this.writeQueue.splice(0)) q.partition.settleProduce(q.resolve, produceError(BROOK_ERRORS.PARTITION_OFFLINE.kafka, reason));
    for (const partition of this.partitions.values()) partition.markOffline(reason);
  }

  private isOfflineNow(): boolean {
    return this.supervisor.status === 'offline';
  }

  /** Resolves produces whose completions the worker published. Main thread, never blocks. */
  private deliverCompletions(): void {
    let appended: Set<Partition> | null = null;
    for (let frame = this.completions.next(); frame !== null; frame = this.completions.next()) {
      const completion = decodeCompletion(frame.payload);
      const head = this.inflight.shift();
      assert(head !== undefined && head.frameId === frame.frameId, `completion for frame ${frame.frameId} out of order`);
      if (completion.errorCode === ErrorCode.NONE) (appended ??= new Set()).add(head.partition);
      head.partition.settleProduce(head.resolve, { ...completion, errorMessage: completionMessage(completion.errorCode) });
    }
    this.completions.release();
    if (appended !== null) for (const partition of appended) partition.notifyAppend();
  }

  private async drainCompletions(generation: number): Promise<void> {
    const completions = this.completions;
    while (generation === this.supervisor.generation && this.supervisor.isAlive) {
      this.deliverCompletions();
      await completions.waitForFramesAsync();
    }
  }

  /** Queues `batches` for `partition` (open on this worker); resolves when the worker has appended them. */
  produce(partition: Partition, batches: Uint8Array): Promise<ProduceResult> {
    assert(batches.byteLength <= this.maxProduceBytes, 'produce larger than a ring frame; the broker checks first');
    this.producedBytes += batches.byteLength;
    return new Promise((resolve) => {
      this.writeQueue.push({ partition, batches, resolve });
      this.schedulePump();
    });
  }

  /**
   * Pumps in a microtask rather than at once, so every produce issued in the same synchronous run
   * reaches the worker with one TAIL store and at most one wake-up.
   */
  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping || !this.usable) return;
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
      while (this.writeQueue.length > 0 && this.usable) {
        const next = this.writeQueue[0]!;
        const producer = this.producer;
        const view = producer.tryReserve(PRODUCE_FRAME_HEADER_BYTES + next.batches.byteLength);
        if (view === null) {
          unpublishedBytes = 0;
          await producer.waitForSpace(); // publishes first; a crash wakes it (wakeAllWaiters) and the loop moves on
          continue;
        }
        writeProduceFrameHeader(view, next.partition.slot);
        view.set(next.batches, PRODUCE_FRAME_HEADER_BYTES);
        const frameId = this.nextFrameId;
        this.nextFrameId = (frameId + 1) & FRAME_ID_MASK;
        this.writeQueue.shift();
        this.inflight.push({ frameId, partition: next.partition, resolve: next.resolve });
        // Big produces go out one by one, so the worker writes while this thread copies the next.
        unpublishedBytes += next.batches.byteLength;
        const publishNow = unpublishedBytes >= PUBLISH_EVERY_BYTES;
        if (publishNow) unpublishedBytes = 0;
        producer.commit(frameId, publishNow);
      }
    } finally {
      this.producer.publish();
      this.pumping = false;
    }
  }

  /** Sends a control message and resolves with the worker's reply (rejects with its BrookError). */
  request<T>(message: WorkerRequestWithoutId): Promise<T> {
    return this.supervisor.request<T>(message);
  }

  private post(message: object): void {
    this.supervisor.post(message);
  }

  /**
   * Opens `partition` on this worker (it gets a slot here); batched with every other open asked
   * for in the same synchronous run. Rejects with the worker's BrookError if its log cannot open.
   */
  async open(partition: Partition, fresh: boolean): Promise<number> {
    const slot = this.nextSlot++;
    void this.start().catch(() => {}); // a worker never started begins with its first partition; its failure rejects the open
    this.partitions.set(slot, partition);
    const batch = (this.openBatch ??= this.startBatch(async (items) => {
      this.openBatch = null;
      return this.request<OpenReply>({ type: 'open', partitions: items.map((i) => i.spec) });
    }));
    batch.items.push({ partition, spec: { ...partition.specFor(slot), fresh } });
    let reply: OpenReply;
    try {
      reply = (await batch.done) as OpenReply;
    } catch (err) {
      this.partitions.delete(slot);
      throw err;
    }
    const failure = reply.failed.find((f) => f.slot === slot);
    if (failure !== undefined) {
      this.partitions.delete(slot);
      throw BrookError.fromWire(failure.error);
    }
    return slot;
  }

  /** Closes (or deletes) a partition's log; the caller made sure none of its produces is in flight. */
  async close(partition: Partition, deleteLog: boolean): Promise<void> {
    const slot = partition.slot;
    let batch = this.closeBatches.get(deleteLog);
    if (batch === undefined) {
      batch = this.startBatch(async (slots) => {
        this.closeBatches.delete(deleteLog);
        return this.request({ type: 'close', slots, deleteLogs: deleteLog });
      });
      this.closeBatches.set(deleteLog, batch);
    }
    batch.items.push(slot);
    try {
      await batch.done;
    } finally {
      this.partitions.delete(slot);
    }
  }

  /** A batch of items collected in this synchronous run, sent in a microtask. */
  private startBatch<T>(send: (items: T[]) => Promise<unknown>): Batched<T> {
    const items: T[] = [];
    const done = Promise.resolve().then(() => send(items));
    done.catch(() => {});
    return { items, done };
  }

  updateConfig(slots: number[], config: LogConfig): Promise<void> {
    return this.request({ type: 'updateConfig', slots, config });
  }

  /** Appends what is queued, then fsyncs every partition on this worker. */
  async flush(): Promise<void> {
    if (this.started === null) return;
    while (this.writeQueue.length > 0 && this.usable) await this.pumpOnce();
    await this.request({ type: 'flush' });
  }

  deleteRecords(slot: number, offset: number): Promise<number> {
    return this.request<number>({ type: 'deleteRecords', slot, offset });
  }

  activeProducers(slot: number): Promise<ActiveProducer[]> {
    return this.request<ActiveProducer[]>({ type: 'activeProducers', slot });
  }

  private async pumpOnce(): Promise<void> {
    await this.pump();
    if (this.writeQueue.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Test hook: the worker dies ('throw' = uncaught exception, 'exit' = process.exit, 'powerLoss' = unsynced bytes lost first). */
  injectCrash(mode: 'throw' | 'exit' | 'powerLoss'): void {
    this.post({ type: 'crash', mode });
  }

  /** Test hook: arms or clears I/O faults in the worker (needs BrokerOptions.faults). */
  injectFaults(command: FaultCommand): Promise<FaultCounts | undefined> {
    return this.request<FaultCounts | undefined>({ type: 'faults', command });
  }

  /** Test hook: the worker stops draining its ring for `ms` (a slow disk). */
  injectStall(ms: number): void {
    this.post({ type: 'stall', ms });
  }

  /** Bytes in the produce ring now (a snapshot; for stats and tests). */
  get ringUsedBytes(): number {
    return this.producer.usedBytes();
  }

  get ringCapacityBytes(): number {
    return this.producer.capacityBytes;
  }

  /** Lets queued produces reach the ring, then has the worker close every log and exit. */
  async shutdown(): Promise<void> {
    if (this.started === null) return;
    await this.supervisor.whenReady().catch(() => {});
    while (this.writeQueue.length > 0 && this.usable) await this.pumpOnce();
    await this.supervisor.close({ type: 'shutdown' });
    this.usable = false;
    for (const partition of this.partitions.values()) partition.markClosed();
    this.partitions.clear();
  }
}
