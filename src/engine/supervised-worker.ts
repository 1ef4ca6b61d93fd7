/**
 * One supervised worker thread, as both kinds of Brook worker use it (partition workers and group
 * coordinator workers): spawn from a compiled script, wait for its `ready`, match requests to
 * replies by requestId, and restart it when it dies, up to a limit of failed starts in a row.
 * Owned by one handle on the main thread; not thread-safe.
 *
 * The protocol every supervised worker speaks is in worker-protocol.ts.
 *
 * Lifecycle: starting -> running -> (exit) -> restarting -> running ... ; close() -> closing ->
 * closed. A worker that exits before `ready` counts as a failed start; after
 * `failedStartsBeforeOffline` failed starts in a row the worker stays down (offline). A worker
 * that was running and exits is restarted at once (its in-flight requests fail first).
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { BrookError } from '../common/errors.js';
import { workerExecArgv } from './worker-exec-argv.js';
import { adoptPrestartedWorker } from './worker-prestart.js';
import type { SupervisedEvent, WireError } from './worker-protocol.js';

export type { SupervisedEvent, WireError } from './worker-protocol.js';

export type WorkerStatus = 'starting' | 'running' | 'restarting' | 'closing' | 'closed' | 'offline';

/** The repository root: src/engine/ and dist/src/engine/ are both two levels below it. */
const REPO_ROOT_FROM_SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A worker script's path next to the module at `importMetaUrl`. Workers run compiled code from
 * dist/ (tsc output), also when the caller runs from src/ under vitest (DESIGN.md, "Build and run").
 */
export function workerScriptPath(importMetaUrl: string, script: string): string {
  const dir = path.dirname(fileURLToPath(importMetaUrl));
  if (fileURLToPath(importMetaUrl).endsWith('.js')) return path.join(dir, script);
  return path.join(REPO_ROOT_FROM_SRC, 'dist', path.relative(REPO_ROOT_FROM_SRC, dir), script);
}

export interface SupervisedWorkerOptions {
  /** Thread name (shows in inspectors and heap snapshots). */
  name: string;
  scriptPath: string;
  /** The workerData of each spawn (called again on restart: rings are fresh per worker). */
  workerData(): unknown;
  failedStartsBeforeOffline: number;
  /**
   * Called after every message posted to the worker (requests, posts, the shutdown): a worker that
   * blocks on shared memory (a partition worker in Atomics.wait) must be woken to read it.
   */
  onPosted?(): void;
  /** Called for every event that is not ready/fatal/reply, from the current worker only. */
  onMessage?(event: unknown): void;
  /** Called after a new worker is created (first start and restarts), before it is ready. */
  onSpawn?(generation: number): void;
  /**
   * Called when the current worker exited, after its pending requests were rejected.
   * `restarting` tells whether a new worker is being started.
   */
  onExit?(info: { generation: number; code: number; cause: unknown; restarting: boolean }): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class SupervisedWorker {
  private worker: Worker | null = null;
  private statusValue: WorkerStatus = 'starting';
  private generationValue = 0;
  private failedStarts = 0;
  private nextRequestId = 0;
  private readonly pending = new Map<number, Pending>();
  private ready: Promise<void> = Promise.resolve();
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisedWorkerOptions) {}

  get status(): WorkerStatus {
    return this.statusValue;
  }

  /** Workers started so far, the first included. */
  get generation(): number {
    return this.generationValue;
  }

  /** Workers started after the first one (crashes recovered from). */
  get restartCount(): number {
    return Math.max(0, this.generationValue - 1);
  }

  get isAlive(): boolean {
    return this.worker !== null;
  }

  /** Starts the first worker; resolves once it is ready (rejects when it cannot start at all). */
  start(): Promise<void> {
    this.spawn();
    return this.whenReady();
  }

  /** Resolves once a worker is ready, across restarts; rejects once the worker is offline or closed. */
  async whenReady(): Promise<void> {
    for (;;) {
      try {
        return await this.ready;
      } catch (err) {
        if (this.statusValue === 'offline' || this.statusValue === 'closed' || this.statusValue === 'closing') throw err;
      }
    }
  }

  private spawn(): void {
    const generation = ++this.generationValue;
    const workerData = this.options.workerData();
    const worker = (generation === 1 ? adoptPrestartedWorker(this.options.scriptPath, workerData) : null)
      ?? new Worker(this.options.scriptPath, { workerData, execArgv: workerExecArgv(), name: this.options.name });
    this.worker = worker;
    let markReady!: () => void;
    let markFailed!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    this.ready.catch(() => {}); // observed by whenReady(); never an unhandled rejection
    let cause: unknown = null;
    this.exited = new Promise((resolve) => {
      worker.on('message', (event: SupervisedEvent) => {
        if (generation !== this.generationValue) return;
        switch (event.type) {
          case 'ready':
            if (this.statusValue === 'starting' || this.statusValue === 'restarting') this.statusValue = 'running';
            this.failedStarts = 0;
            markReady();
            return;
          case 'fatal':
            cause = BrookError.fromWire(event.error);
            return;
          case 'reply':
            this.settle(event.requestId, event.result, event.error);
            return;
          default:
            this.options.onMessage?.(event);
        }
      });
      // An uncaught error ends the worker; 'exit' follows. Keep the cause so a failed start names it.
      worker.on('error', (err) => (cause = err));
      worker.on('exit', (code) => {
        resolve();
        if (generation === this.generationValue) this.onExit(generation, code, cause, markFailed);
      });
    });
    this.options.onSpawn?.(generation);
  }

  private settle(requestId: number, result: unknown, error: WireError | undefined): void {
    const waiter = this.pending.get(requestId);
    if (waiter === undefined) return;
    this.pending.delete(requestId);
    if (error === undefined) waiter.resolve(result);
    else waiter.reject(BrookError.fromWire(error));
  }

  private onExit(generation: number, code: number, cause: unknown, markFailed: (err: unknown) => void): void {
    this.worker = null;
    const reason = new BrookError('WORKER_EXITED', `worker ${this.options.name} exited (code ${code})`, { cause });
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of lost) waiter.reject(reason);
    const wasRunning = this.statusValue === 'running';
    let restarting = false;
    if (this.statusValue === 'closing' || this.statusValue === 'closed') {
      this.statusValue = 'closed';
      markFailed(reason);
    } else {
      if (!wasRunning) this.failedStarts++;
      if (this.failedStarts >= this.options.failedStartsBeforeOffline) {
        this.statusValue = 'offline';
        markFailed(cause ?? reason);
      } else {
        if (!wasRunning) markFailed(cause ?? reason);
        this.statusValue = 'restarting';
        restarting = true;
      }
    }
    this.options.onExit?.({ generation, code, cause, restarting });
    if (restarting) this.spawn();
  }

  /**
   * Sends `message` with a fresh requestId; resolves with the worker's reply or rejects with its
   * BrookError (WORKER_EXITED when the worker dies first). Sent at once, even while the worker
   * starts: messages queue on its port.
   */
  request<T>(message: object): Promise<T> {
    const worker = this.worker;
    if (worker === null || this.statusValue === 'closed' || this.statusValue === 'offline') {
      return Promise.reject(new BrookError('WORKER_EXITED', `worker ${this.options.name} is ${this.statusValue}`));
    }
    const requestId = ++this.nextRequestId;
    const reply = new Promise<T>((resolve, reject) => this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject }));
    worker.postMessage({ ...message, requestId });
    this.options.onPosted?.();
    return reply;
  }

  /** A message without a reply (no-op when no worker runs). */
  post(message: object): void {
    if (this.worker === null) return;
    this.worker.postMessage(message);
    this.options.onPosted?.();
  }

  /**
   * Asks the worker to end with `shutdown` (a request it answers before it exits), then waits for
   * the exit. Safe to call twice.
   */
  async close(shutdown: object = { type: 'shutdown' }): Promise<void> {
    if (this.statusValue === 'closed') return;
    if (this.statusValue === 'closing') return this.exited;
    const exited = this.exited;
    const wasUsable = this.worker !== null && this.statusValue !== 'offline';
    const answered = wasUsable ? this.request(shutdown).catch(() => {}) : Promise.resolve();
    this.statusValue = 'closing';
    await answered;
    if (wasUsable) await exited;
    this.statusValue = 'closed';
  }
}
