/**
 * How the application drives its stream threads, the same way whether a thread runs on a worker
 * (a topology module: real parallelism, tasks sharded over a few threads as the engine shards
 * partitions over its workers) or on the main thread (a topology built in this thread, whose
 * functions cannot move to a worker).
 *
 * Worker protocol (plain objects with a `type`, DESIGN.md): main -> worker assign / revoke /
 * query / status / close / commitResult; worker -> main ready / result / commit / log / fatal.
 * Record bytes never travel here: they go through the backend proxy (backend-proxy.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { BrookBackend } from '../../embedded/backend.js';
import type { ResolvedConfig } from '../config.js';
import type { Topology } from '../dsl/topology.js';
import { TaskMigratedError } from '../errors.js';
import { BackendHost } from './backend-proxy.js';
import type { OffsetToCommit } from './commit.js';
import type { ThreadStatus } from './status.js';
import { StreamThread, type AssignedTask, type ThreadHost } from './stream-thread.js';
import type { QueryEntry, StoreQuery } from './thread-query.js';

export interface ThreadHandle {
  readonly index: number;
  assign(tasks: AssignedTask[]): Promise<void>;
  revoke(): Promise<void>;
  query(query: StoreQuery): Promise<QueryEntry[]>;
  status(): Promise<ThreadStatus>;
  close(): Promise<void>;
}

export type MainToWorker =
  | { type: 'assign'; id: number; tasks: AssignedTask[] }
  | { type: 'revoke'; id: number }
  | { type: 'query'; id: number; query: StoreQuery }
  | { type: 'status'; id: number }
  | { type: 'close'; id: number }
  | { type: 'commitResult'; id: number; error: { message: string; migrated: boolean } | null };

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'result'; id: number; value?: unknown; error?: string }
  | { type: 'commit'; id: number; offsets: OffsetToCommit[] }
  | { type: 'log'; message: string }
  | { type: 'fatal'; message: string };

export interface WorkerData {
  topologyHref: string;
  config: ResolvedConfig;
  index: number;
  autoCreateTopics: boolean;
  numPartitions: number;
}

export class InProcessThread implements ThreadHandle {
  private readonly thread: StreamThread;

  constructor(topology: Topology, config: ResolvedConfig, backend: BrookBackend, host: ThreadHost, readonly index: number) {
    this.thread = new StreamThread(topology, config, backend, host, index);
    this.thread.start();
  }

  assign(tasks: AssignedTask[]): Promise<void> {
    return this.thread.assign(tasks);
  }

  revoke(): Promise<void> {
    return this.thread.revoke();
  }

  async query(query: StoreQuery): Promise<QueryEntry[]> {
    return this.thread.query(query) as QueryEntry[];
  }

  async status(): Promise<ThreadStatus> {
    return this.thread.status();
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}

/**
 * The compiled worker script: beside this module in dist/, or, when this module runs from src/
 * (tests through vitest), at the same place under dist/ (`npm test` builds first).
 */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'worker-main.js');
  const root = path.resolve(path.dirname(here), '../../..');
  return path.join(root, 'dist', path.relative(root, path.dirname(here)), 'worker-main.js');
}

/** Flags that only make sense for a main script (-e, --input-type) would stop a worker starting. */
function workerExecArgv(): string[] {
  const kept: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(arg)) i++;
    else if (!/^--(input-type|eval|print)=/.test(arg)) kept.push(arg);
  }
  return kept;
}

export class WorkerThread implements ThreadHandle {
  private readonly worker: Worker;
  private readonly backendHost: BackendHost;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private nextId = 0;
  private readonly ready: Promise<void>;
  private exited = false;

  constructor(data: WorkerData, backend: BrookBackend, private readonly host: ThreadHost) {
    this.index = data.index;
    const channel = new MessageChannel();
    this.backendHost = new BackendHost(channel.port1, backend);
    this.worker = new Worker(workerScript(), {
      workerData: { ...data, backendPort: channel.port2 }, transferList: [channel.port2], execArgv: workerExecArgv(), name: `brook-stream-thread-${data.index}`,
    });
    let markReady: () => void = () => undefined;
    let failReady: (err: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.worker.on('message', (message: WorkerToMain) => this.onMessage(message, markReady));
    this.worker.on('error', (err) => {
      failReady(err);
      host.fatal(err);
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      channel.port1.close();
      const err = new Error(`stream thread ${this.index} exited (code ${code})`);
      failReady(err);
      for (const call of this.pending.values()) call.reject(err);
      this.pending.clear();
    });
  }

  readonly index: number;

  /** Resolves once the worker has loaded the topology module. */
  started(): Promise<void> {
    return this.ready;
  }

  assign(tasks: AssignedTask[]): Promise<void> {
    return this.request({ type: 'assign', id: 0, tasks }) as Promise<void>;
  }

  revoke(): Promise<void> {
    return this.request({ type: 'revoke', id: 0 }) as Promise<void>;
  }

  query(query: StoreQuery): Promise<QueryEntry[]> {
    return this.request({ type: 'query', id: 0, query }) as Promise<QueryEntry[]>;
  }

  status(): Promise<ThreadStatus> {
    return this.request({ type: 'status', id: 0 }) as Promise<ThreadStatus>;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.request({ type: 'close', id: 0 }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(message: MainToWorker): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`stream thread ${this.index} is not running`));
    return this.ready.then(() => new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    }));
  }

  private onMessage(message: WorkerToMain, markReady: () => void): void {
    switch (message.type) {
      case 'ready':
        markReady();
        return;
      case 'result': {
        const call = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(message.error));
        else call?.resolve(message.value);
        return;
      }
      case 'commit':
        this.host.commitOffsets(message.offsets).then(
          () => this.worker.postMessage({ type: 'commitResult', id: message.id, error: null } satisfies MainToWorker),
          (err: Error) => this.worker.postMessage({ type: 'commitResult', id: message.id, error: { message: err.message, migrated: err instanceof TaskMigratedError } } satisfies MainToWorker),
        );
        return;
      case 'log':
        this.host.log(message.message);
        return;
      case 'fatal':
        this.host.fatal(new Error(message.message));
        return;
    }
  }
}
