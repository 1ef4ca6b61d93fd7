/**
 * The main thread's side of one coordinator worker: starts it, sends it group calls and matches
 * replies by requestId, restarts it when it dies. Owned by the GroupsService (main thread); not
 * thread-safe.
 *
 * A worker that exits unexpectedly takes its in-memory group state with it; every request in
 * flight fails with CoordinatorUnavailableError (handlers answer COORDINATOR_NOT_AVAILABLE, which
 * every client retries after looking the coordinator up again), and a new worker replays the
 * owned __consumer_offsets partitions: committed offsets and the last persisted group metadata
 * come back, and members rejoin or resume heartbeating. After RESTARTS_BEFORE_OFFLINE failed
 * starts in a row the worker stays down and every request gets the same retriable error.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { BrookError } from '../common/errors.js';
import { rebuffer, type CoordinatorEvent, type CoordinatorRequest, type CoordinatorWorkerData } from './coordinator-messages.js';
import { workerExecArgv } from './worker-exec-argv.js';

const RESTARTS_BEFORE_OFFLINE = 5;

/** The group's coordinator cannot answer now (worker restarting, closing, or down); retriable. */
export class CoordinatorUnavailableError extends BrookError {
  constructor(message: string) {
    super('COORDINATOR_NOT_AVAILABLE', message);
  }
}

function workerScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'coordinator-worker.js');
  return path.resolve(path.dirname(here), '../../dist/src/engine/coordinator-worker.js');
}

type Status = 'starting' | 'running' | 'closing' | 'closed' | 'offline';
type RequestWithoutId<R = CoordinatorRequest> = R extends { requestId: number } ? Omit<R, 'requestId'> : never;

export class CoordinatorHandle {
  private status: Status = 'starting';
  private worker: Worker | null = null;
  private generation = 0;
  private nextRequestId = 0;
  private failedStarts = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  private ready: Promise<void> = Promise.resolve();
  private exited: Promise<void> = Promise.resolve();

  constructor(private data: CoordinatorWorkerData) {}

  /** Starts the worker; resolves once its partitions are replayed (rejects if it cannot open them). */
  start(): Promise<void> {
    this.spawn();
    return this.ready;
  }

  private spawn(): void {
    const generation = ++this.generation;
    const worker = new Worker(workerScriptPath(), { workerData: this.data, execArgv: workerExecArgv(), name: `brook coordinator-${this.data.workerIndex}` });
    this.worker = worker;
    let markReady!: () => void;
    let markFailed!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    this.ready.catch(() => {});
    this.exited = new Promise((resolve) => {
      worker.on('message', (event: CoordinatorEvent) => {
        if (generation !== this.generation) return;
        if (event.type === 'ready') {
          this.status = 'running';
          this.failedStarts = 0;
          markReady();
        } else if (event.type === 'fatal') {
          markFailed(BrookError.fromWire(event.error));
        } else {
          this.settle(event.requestId, event.result, event.error);
        }
      });
      // An uncaught error ends the worker; 'exit' follows and restarts it. Keep the cause so a
      // failed start names it.
      let cause: unknown = null;
      worker.on('error', (err) => (cause = err));
      worker.on('exit', () => {
        resolve();
        if (generation === this.generation) this.onExit(markFailed, cause);
      });
    });
  }

  private settle(requestId: number, result: unknown, error: { code: string; message: string } | undefined): void {
    const waiter = this.pending.get(requestId);
    if (waiter === undefined) return;
    this.pending.delete(requestId);
    if (error === undefined) waiter.resolve(rebuffer(result));
    else if (error.code === 'COORDINATOR_NOT_AVAILABLE') waiter.reject(new CoordinatorUnavailableError(error.message));
    else waiter.reject(BrookError.fromWire(error));
  }

  private onExit(markFailed: (err: unknown) => void, cause: unknown): void {
    this.worker = null;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of lost) waiter.reject(new CoordinatorUnavailableError('the group coordinator restarted'));
    if (this.status === 'closing' || this.status === 'closed') {
      this.status = 'closed';
      return;
    }
    const wasRunning = this.status === 'running';
    if (!wasRunning) this.failedStarts++;
    if (this.failedStarts >= RESTARTS_BEFORE_OFFLINE) {
      this.status = 'offline';
      markFailed(new CoordinatorUnavailableError('the group coordinator could not start'));
      return;
    }
    if (!wasRunning) {
      const reason = cause instanceof Error ? `: ${cause.message}` : '';
      markFailed(new CoordinatorUnavailableError(`the group coordinator exited while starting${reason}`));
    }
    this.status = 'starting';
    this.spawn();
  }

  /** Sends a request and resolves with the worker's reply. */
  request<T>(message: RequestWithoutId): Promise<T> {
    if (this.status === 'closing' || this.status === 'closed' || this.status === 'offline' || this.worker === null) {
      return Promise.reject(new CoordinatorUnavailableError(`the group coordinator is ${this.status}`));
    }
    const requestId = ++this.nextRequestId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject });
      // Sent at once even while starting: messages queue on the port and run after the replay.
      this.worker!.postMessage({ ...message, requestId } as CoordinatorRequest);
    });
  }

  /** A message without reply (topic updates); kept in the worker data for restarts too. */
  updateTopics(topics: [string, number][]): void {
    this.data = { ...this.data, topics };
    this.worker?.postMessage({ type: 'topics', topics } satisfies CoordinatorRequest);
  }

  /** Fault injection for tests: the worker exits as if it crashed. */
  crash(powerLoss = false): void {
    this.worker?.postMessage({ type: 'crash', powerLoss } satisfies CoordinatorRequest);
  }

  /** Answers nothing more, closes the logs and ends the thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.status === 'closed') return;
    const wasUsable = this.worker !== null && this.status !== 'closing';
    const request = wasUsable ? this.request({ type: 'shutdown' }).catch(() => {}) : Promise.resolve();
    this.status = 'closing';
    await request;
    await this.exited;
    this.status = 'closed';
  }
}
