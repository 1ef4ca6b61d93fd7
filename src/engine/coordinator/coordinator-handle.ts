/**
 * The main thread's side of one coordinator worker: a SupervisedWorker (spawn, ready, request and
 * reply, restart) plus what groups need on top. Owned by the GroupsService (main thread); not
 * thread-safe.
 *
 * A worker that exits unexpectedly takes its in-memory group state with it; every request in
 * flight fails with CoordinatorUnavailableError (handlers answer COORDINATOR_NOT_AVAILABLE, which
 * every client retries after looking the coordinator up again), and a new worker replays the
 * owned __consumer_offsets partitions: committed offsets and the last persisted group metadata
 * come back, and members rejoin or resume heartbeating. After RESTARTS_BEFORE_OFFLINE failed
 * starts in a row the worker stays down and every request gets the same retriable error.
 */
import { BrookError } from '../../common/errors.js';
import { SupervisedWorker, workerScriptPath } from '../supervised-worker.js';
import { rebuffer, type CoordinatorRequest, type CoordinatorWorkerData } from './coordinator-messages.js';

const RESTARTS_BEFORE_OFFLINE = 5;

/** The group's coordinator cannot answer now (worker restarting, closing, or down); retriable. */
export class CoordinatorUnavailableError extends BrookError {
  constructor(message: string) {
    super('COORDINATOR_NOT_AVAILABLE', message);
  }
}

type RequestWithoutId<R = CoordinatorRequest> = R extends { requestId: number } ? Omit<R, 'requestId'> : never;

export class CoordinatorHandle {
  private readonly worker: SupervisedWorker;

  constructor(private data: CoordinatorWorkerData) {
    this.worker = new SupervisedWorker({
      name: `brook coordinator-${data.workerIndex}`,
      scriptPath: workerScriptPath(import.meta.url, 'coordinator-worker.js'),
      workerData: () => this.data,
      failedStartsBeforeOffline: RESTARTS_BEFORE_OFFLINE,
    });
  }

  private started: Promise<void> | null = null;

  /** Starts the worker unless started already; resolves once its partitions are replayed (rejects if it cannot open them). */
  start(): Promise<void> {
    this.started ??= this.worker.start();
    return this.started;
  }

  get restartCount(): number {
    return this.worker.restartCount;
  }

  /** Sends a request and resolves with the worker's reply (starting the worker first if it was never started). */
  async request<T>(message: RequestWithoutId): Promise<T> {
    if (this.started === null) await this.start().catch(() => {});
    const status = this.worker.status;
    if (status === 'closing' || status === 'closed' || status === 'offline' || !this.worker.isAlive) {
      throw new CoordinatorUnavailableError(`the group coordinator is ${status}`);
    }
    try {
      return rebuffer(await this.worker.request<T>(message));
    } catch (err) {
      const code = (err as BrookError).code;
      if (code === 'WORKER_EXITED') throw new CoordinatorUnavailableError('the group coordinator restarted');
      if (code === 'COORDINATOR_NOT_AVAILABLE') throw new CoordinatorUnavailableError((err as Error).message);
      throw err;
    }
  }

  /** Topic partition counts changed (a map of changes; 0 = deleted); kept for restarts too. */
  updateTopics(changes: [string, number][]): void {
    const topics = new Map(this.data.topics);
    for (const [name, count] of changes) {
      if (count === 0) topics.delete(name);
      else topics.set(name, count);
    }
    this.data = { ...this.data, topics: [...topics] };
    this.worker.post({ type: 'topics', changes } satisfies CoordinatorRequest);
  }

  /** Fault injection for tests: the worker exits as if it crashed. */
  crash(powerLoss = false): void {
    this.worker.post({ type: 'crash', powerLoss } satisfies CoordinatorRequest);
  }

  /** Answers nothing more, closes the logs and ends the thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.started === null) return;
    await this.worker.close({ type: 'shutdown' });
  }
}
