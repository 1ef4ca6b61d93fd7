/**
 * The main thread's side of one partition: its status, the worker that owns its log while it is
 * open, its published state, its LogReader and the fetches waiting for its appends. Owned by the
 * Broker (main thread); not thread-safe.
 *
 * Partitions open lazily: a partition that nobody produces to, fetches from or asks offsets of
 * costs no worker slot, no file descriptor and no memory beyond this object. The first use opens
 * it (recovering its log if it was not closed cleanly); `brook serve` opens every partition in the
 * background after it starts listening.
 *
 *   unopened ──ensureOpen──▶ opening ──▶ open ──close──▶ closing ──▶ closed
 *                               │           │
 *                               └──failed───┴──worker offline──▶ offline (KAFKA_STORAGE_ERROR)
 *
 * A worker restart is invisible here except for the produces it failed (retriable): the new
 * worker reopens the partition under the same slot before it takes more produces.
 */
import { BrookError } from '../../common/errors.js';
import { BROOK_ERRORS } from '../../common/error-table.js';
import type { LogConfig } from '../../storage/log-config.js';
import { LogReader } from '../../storage/log-reader.js';
import type { FdCache } from '../../storage/fd-cache.js';
import type { ActiveProducer, PartitionState, ProduceResult } from '../broker-types.js';
import type { PartitionCensus } from './partition-census.js';
import { createStateBuffer, SharedPartitionState } from './partition-state.js';
import type { PartitionSpec } from './messages.js';
import { produceError, type PartitionWorkerHandle } from './worker-handle.js';

export type PartitionStatus = 'unopened' | 'opening' | 'open' | 'closing' | 'closed' | 'offline';

/** Chooses the worker a partition opens on (PartitionWorkers.assign). */
export type AssignWorker = (partition: Partition) => PartitionWorkerHandle;

/** Opens refused because the worker died meanwhile are asked again, this many times. */
const OPEN_ATTEMPTS_MAX = 5;

export class Partition {
  readonly state = new SharedPartitionState(createStateBuffer());
  private statusValue: PartitionStatus = 'unopened';
  private workerValue: PartitionWorkerHandle | null = null;
  private slotValue = -1;
  private opening: Promise<void> | null = null;
  private offlineReasonValue = '';
  /** Produces handed to the worker and not yet answered. */
  private pendingProduces = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly appendListeners = new Set<() => void>();
  private logReader: LogReader | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private configValue: LogConfig,
    private readonly assign: AssignWorker,
    /** The main thread's descriptor cache, shared by every partition's LogReader. */
    private readonly readerFiles: FdCache,
    /** True for a partition just created: leftovers of a deleted topic at `dir` are removed at its first open. */
    private fresh: boolean,
    /** Hears every status change (the Broker's counts for readiness). */
    private readonly census: PartitionCensus,
  ) {
    census.moved(this, null, this.statusValue);
  }

  /** Every status change goes through here, so the census never misses one. */
  private setStatus(to: PartitionStatus): void {
    const from = this.statusValue;
    if (from === to) return;
    this.statusValue = to;
    this.census.moved(this, from, to);
  }

  get status(): PartitionStatus {
    return this.statusValue;
  }

  get config(): LogConfig {
    return this.configValue;
  }

  /** The worker holding this partition while it is open (or opening), else null. */
  get worker(): PartitionWorkerHandle | null {
    return this.workerValue;
  }

  get slot(): number {
    return this.slotValue;
  }

  /** Why the partition went offline, naming it: 'partition logs-3 is offline: <reason>' ('' unless offline). */
  get offlineReason(): string {
    return this.statusValue === 'offline' ? `partition ${this.topic}-${this.partition} is offline: ${this.offlineReasonValue}` : '';
  }

  get isOpen(): boolean {
    return this.statusValue === 'open';
  }

  /** True once a worker has opened the log and published its state (it stays readable from files after). */
  get hasPublishedState(): boolean {
    return this.everOpened;
  }
  private everOpened = false;

  get pendingProduceCount(): number {
    return this.pendingProduces;
  }

  /** What the worker needs to open this partition's log under `slot`. */
  specFor(slot: number): PartitionSpec {
    return { slot, topic: this.topic, partition: this.partition, dir: this.dir, config: this.configValue, stateSab: this.state.sab, fresh: false };
  }

  /** Opens the partition on a worker unless it is open already; rejects when it cannot be opened. */
  ensureOpen(): Promise<void> {
    if (this.statusValue === 'open') return Promise.resolve();
    if (this.statusValue === 'offline') return Promise.reject(new BrookError('PARTITION_OFFLINE', this.offlineReason));
    if (this.statusValue === 'closing' || this.statusValue === 'closed') {
      return Promise.reject(new BrookError('PARTITION_CLOSED', `partition ${this.topic}-${this.partition} is closed`));
    }
    this.opening ??= this.openOnce();
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    this.setStatus('opening');
    for (let attempt = 1; ; attempt++) {
      const worker = this.assign(this);
      this.workerValue = worker;
      try {
        this.slotValue = await worker.open(this, this.fresh);
        break;
      } catch (err) {
        this.workerValue = null;
        if ((err as BrookError).code === 'WORKER_EXITED' && attempt < OPEN_ATTEMPTS_MAX && worker.isOnline) continue;
        this.opening = null;
        this.markOffline(`it cannot be opened: ${(err as Error).message}`);
        throw err;
      }
    }
    this.fresh = false;
    this.everOpened = true;
    if (this.statusValue === 'opening') this.setStatus('open');
  }

  /** Appends `batches` (checked by the Broker) through the owning worker, opening the partition first if needed. */
  async produce(batches: Uint8Array): Promise<ProduceResult> {
    if (this.statusValue !== 'open') {
      if (this.statusValue === 'offline') return produceError(BROOK_ERRORS.PARTITION_OFFLINE.kafka, this.offlineReason);
      if (this.statusValue === 'closing' || this.statusValue === 'closed') return produceError(BROOK_ERRORS.PARTITION_CLOSED.kafka, 'partition is closing');
      try {
        await this.ensureOpen();
      } catch (err) {
        // A failed open takes the partition offline (openOnce), whatever its cause (a storage
        // error, a worker that kept exiting, ...): the answer is the offline one, not the cause's.
        return produceError(BROOK_ERRORS.PARTITION_OFFLINE.kafka, (err as Error).message);
      }
      return this.produce(batches);
    }
    this.pendingProduces++;
    return this.workerValue!.produce(this, batches);
  }

  /** Called by the worker handle for each answered produce of this partition. */
  settleProduce(resolve: (result: ProduceResult) => void, result: ProduceResult): void {
    this.pendingProduces--;
    if (this.pendingProduces === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    resolve(result);
  }

  /** The largest produce one ring frame carries on the owning worker (the Broker checks before the ring). */
  get maxProduceBytes(): number {
    return this.workerValue?.maxProduceBytes ?? Infinity;
  }

  snapshot(): PartitionState {
    return this.state.snapshot();
  }

  /** Calls `listener` after each batch of successful appends; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  /**
   * The main thread's read-only view of the log (opened on first use). Refused once the partition
   * is closing: reading then would reopen files nobody closes.
   */
  reader(): LogReader {
    if (this.statusValue === 'closing' || this.statusValue === 'closed') throw new BrookError('PARTITION_CLOSED', `partition ${this.topic}-${this.partition} is closed`);
    this.logReader ??= new LogReader(this.dir, { files: this.readerFiles });
    return this.logReader;
  }

  async updateConfig(config: LogConfig): Promise<void> {
    this.configValue = config;
    if (this.statusValue === 'open') await this.workerValue!.updateConfig([this.slotValue], config);
  }

  async deleteRecords(offset: number): Promise<number> {
    await this.ensureOpen();
    return this.workerValue!.deleteRecords(this.slotValue, offset);
  }

  async activeProducers(): Promise<ActiveProducer[]> {
    await this.ensureOpen();
    return this.workerValue!.activeProducers(this.slotValue);
  }

  markOffline(reason: string): void {
    if (this.statusValue === 'closed' || this.statusValue === 'closing') return;
    this.offlineReasonValue = reason;
    this.setStatus('offline');
  }

  /** The worker closed the log as it exited (broker shutdown). */
  markClosed(): void {
    this.setStatus('closed');
    this.workerValue = null;
    this.closeReader();
  }

  /**
   * Stops taking produces, waits for those in flight, then has the worker close the log (clean
   * shutdown marker) or delete it. A partition never opened only stops. Safe to call twice.
   */
  async close(deleteLog: boolean): Promise<void> {
    if (this.statusValue === 'opening') await this.opening?.catch(() => {});
    const worker = this.workerValue;
    const wasOpen = this.statusValue === 'open';
    if (this.statusValue === 'closed' || this.statusValue === 'closing') return;
    this.setStatus('closing');
    this.closeReader();
    if (wasOpen && worker !== null) {
      if (this.pendingProduces > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await worker.close(this, deleteLog).catch(() => {}); // a worker that died meanwhile left it for recovery
    }
    this.workerValue = null;
    this.setStatus('closed');
  }

  private closeReader(): void {
    this.logReader?.close();
    this.logReader = null;
  }
}
