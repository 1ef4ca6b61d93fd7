/**
 * A stream thread (Kafka's StreamThread): runs many tasks. Its loop restores tasks that need it
 * (one changelog fetch at a time), fetches for the running ones, processes what arrived, and
 * commits every commitIntervalMs (commit.ts) or when a store's buffer is full. Assignment changes
 * arrive from the application's group member (kafka-streams.ts) through assign() and revoke(),
 * applied between loop iterations. It runs on a worker thread (worker-main.ts) or, for a topology
 * built in this thread, on the main thread; the code is the same.
 *
 * Owned by its host; not thread-safe.
 */
import type { BrookBackend } from '../../embedded/backend.js';
import { Producer } from '../../embedded/producer.js';
import type { ResolvedConfig } from '../config.js';
import type { Topology } from '../dsl/topology.js';
import { TaskMigratedError } from '../errors.js';
import { commitTasks, decodeMetadata, type OffsetToCommit, type RunningTask } from './commit.js';
import { ProducerCollector } from './record-collector.js';
import { TaskRestorer } from './restore.js';
import { Task, taskIdString } from './task.js';
import { ThreadFetcher } from './thread-fetch.js';
import { queryTasks, type StoreQuery } from './thread-query.js';
import type { TaskStatus, ThreadStatus } from './status.js';

export interface AssignedTask {
  subtopology: number;
  partition: number;
  /** Committed offsets of the task's input partitions, with their metadata. */
  committed: Array<{ topic: string; offset: number; metadata: string | null }>;
}

export interface ThreadHost {
  /** Commits input offsets through the group; throws TaskMigratedError if the group moved on. */
  commitOffsets(offsets: OffsetToCommit[]): Promise<void>;
  log(message: string): void;
  /** The thread stopped on an error (its tasks are closed). */
  fatal(error: Error): void;
}

type Control = () => Promise<void>;

export class StreamThread {
  private readonly running = new Map<string, RunningTask>();
  private readonly collector: ProducerCollector;
  private readonly fetcher: ThreadFetcher;
  private readonly controls: Array<{ run: Control; done: (err?: unknown) => void }> = [];
  private wake: (() => void) | null = null;
  private stopped = false;
  private lastCommitMs = Date.now();
  private commits = 0;
  /** The last commit's lmdb writes and checkpoints, still running while processing goes on. */
  private stateWriting: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  error: Error | null = null;

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedConfig,
    private readonly backend: BrookBackend,
    private readonly host: ThreadHost,
    readonly index: number,
  ) {
    this.collector = new ProducerCollector(new Producer(backend, { lingerMs: 10 }));
    this.fetcher = new ThreadFetcher(backend);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Takes over these tasks (restoring their state first). */
  assign(tasks: AssignedTask[]): Promise<void> {
    return this.enqueue(async () => {
      for (const assigned of tasks) await this.open(assigned);
    });
  }

  /** Commits and closes every task (a rebalance: eager, as the embedded group consumer). */
  revoke(): Promise<void> {
    return this.enqueue(() => this.closeAll(true));
  }

  /** Commits, closes every task and stops the loop. */
  async close(): Promise<void> {
    if (!this.stopped) await this.revoke().catch(() => undefined);
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.collector.close().catch(() => undefined);
  }

  query(query: StoreQuery): unknown[] {
    return queryTasks([...this.running.values()].filter((r) => r.restorer.done).map((r) => r.task), this.topology, query);
  }

  status(): ThreadStatus {
    const tasks: TaskStatus[] = [...this.running.values()].map(({ task, restorer }) => ({
      taskId: task.id,
      state: restorer.done ? 'running' : 'restoring',
      thread: this.index,
      partitions: task.queues.map((queue) => {
        const position = this.fetcher.positions.get(`${queue.topic}\u0000${queue.partition}`);
        const next = queue.committableOffset >= 0 ? queue.committableOffset : position?.fetchOffset ?? 0;
        const highWatermark = position?.highWatermark ?? -1;
        return { topic: queue.topic, partition: queue.partition, position: next, highWatermark, lag: highWatermark < 0 ? -1 : Math.max(0, highWatermark - next) };
      }),
      ...task.counters,
      stateBytes: task.local.sizeBytes(),
      restore: { restoredRecords: restorer.restoredRecords, totalRecords: restorer.totalRecords, durationMs: restorer.finishedMs === null ? null : restorer.finishedMs - restorer.startedMs },
    }));
    return { thread: this.index, tasks, sentRecords: this.collector.sentRecords, commits: this.commits, error: this.error?.message ?? null };
  }

  private enqueue(run: Control): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the stream thread has stopped'));
    return new Promise((resolve, reject) => {
      this.controls.push({ run, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.wake?.();
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.runControls();
        if (this.running.size === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        await this.step();
      } catch (err) {
        if (err instanceof TaskMigratedError) {
          this.host.log(`stream thread ${this.index}: ${err.message}; dropping uncommitted work until the rebalance`);
          await this.closeAll(false);
          continue;
        }
        this.error = err instanceof Error ? err : new Error(String(err));
        this.stopped = true;
        this.host.log(`stream thread ${this.index} stopped: ${this.error.message}`);
        await this.closeAll(false).catch(() => undefined);
        for (const control of this.controls.splice(0)) control.done(this.error);
        this.host.fatal(this.error);
      }
    }
  }

  private async runControls(): Promise<void> {
    if (this.controls.length > 0) await this.fetcher.settle();
    while (this.controls.length > 0) {
      const control = this.controls.shift()!;
      try {
        await control.run();
        control.done();
      } catch (err) {
        control.done(err);
        if (!(err instanceof TaskMigratedError)) throw err;
      }
    }
  }

  /** One iteration: restore a little, fetch and process, commit when due. */
  private async step(): Promise<void> {
    const restoring = [...this.running.values()].filter((r) => !r.restorer.done);
    for (const r of restoring) await r.restorer.step(0);
    const active = [...this.running.values()].filter((r) => r.restorer.done);
    if (active.length > 0) {
      await this.fetcher.fetchAhead(restoring.length > 0 || this.controls.length > 0 ? 0 : this.config.pollMs);
      let processed: number;
      do {
        processed = 0;
        for (const { task } of active) processed += task.process(this.config.maxPollRecords);
        if (this.collector.failed !== null) throw this.collector.failed;
        await this.collector.ready();
        // A store at its buffered-entries bound commits before more records come in.
      } while (processed > 0 && !active.some((r) => r.task.commitRequested));
    } else if (restoring.length === 0) {
      return;
    }
    const dueMs = this.lastCommitMs + this.config.commitIntervalMs;
    if (Date.now() >= dueMs || active.some((r) => r.task.commitRequested)) await this.commit();
  }

  private async commit(): Promise<void> {
    const active = [...this.running.values()].filter((r) => r.restorer.done);
    this.lastCommitMs = Date.now();
    if (active.length === 0) return;
    await this.stateWriting; // the previous commit's lmdb writes (a failure stops the thread here)
    const { offsets: committed, stateWritten } = await commitTasks(active, this.collector, this.host);
    this.stateWriting = stateWritten;
    this.commits++;
    // Kafka purges what a repartition topic's readers have committed (DeleteRecords).
    for (const offset of committed) {
      if (!this.topology.graph.repartitionTopics.has(offset.topic.slice(this.config.applicationId.length + 1))) continue;
      await this.backend.deleteRecords(offset.topic, offset.partition, offset.offset).catch(() => undefined);
    }
  }

  private async open(assigned: AssignedTask): Promise<void> {
    const id = taskIdString(assigned);
    if (this.running.has(id)) return;
    const task = new Task({ subtopology: assigned.subtopology, partition: assigned.partition }, this.topology, this.config, this.collector, {
      send: (topic, key, value, timestamp, headers) => this.collector.send(topic, undefined, key, value, timestamp, headers),
      log: (message) => this.host.log(`task ${id}: ${message}`),
    });
    for (const topic of task.changelogs().keys()) this.collector.track(topic);
    const committed = new Map<string, number>();
    for (const c of assigned.committed) {
      committed.set(c.topic, c.offset);
      const queue = task.queueFor(c.topic);
      if (queue !== undefined) queue.partitionTime = Math.max(queue.partitionTime, decodeMetadata(c.metadata));
    }
    task.streamTime = Math.max(-1, ...task.queues.map((q) => q.partitionTime));
    const { restorer } = await TaskRestorer.prepare(task, this.backend);
    await this.fetcher.add(task, committed);
    this.running.set(id, { task, restorer, committedOffsets: new Map([...committed].filter(([, o]) => o >= 0)) });
  }

  /**
   * Closes every task; `clean` commits first. Without a commit the uncommitted work is dropped:
   * lmdb holds only what the changelog has, and the checkpoint from the last commit stays valid.
   * A task still restoring keeps its old checkpoint too (replaying from it again is harmless).
   */
  private async closeAll(clean: boolean): Promise<void> {
    const tasks = [...this.running.values()];
    await this.fetcher.settle();
    try {
      const restored = tasks.filter((r) => r.restorer.done);
      if (clean && restored.length > 0) {
        await this.stateWriting;
        this.stateWriting = (await commitTasks(restored, this.collector, this.host)).stateWritten;
        await this.stateWriting;
      }
    } finally {
      // lmdb must finish a pending write before its environment closes.
      await this.stateWriting.catch(() => undefined);
      this.stateWriting = Promise.resolve();
      for (const { task } of tasks) {
        this.fetcher.remove(task);
        await task.close();
      }
      this.running.clear();
    }
  }
}
