/**
 * A running streams application (Kafka's KafkaStreams): one process's share of the application
 * `applicationId`. start() checks and creates the internal topics, starts the stream threads and
 * joins the group; the group's leader assigns tasks across all processes of the application, and
 * this process shards its tasks over its threads (sticky: a task stays on its thread). On a
 * rebalance every thread commits and closes its tasks (eager), then the new assignment is
 * applied. close() commits and leaves the group, so the others take over at once.
 *
 *   new KafkaStreams(topology, brook, config)          topology built here: threads on this thread
 *   new KafkaStreams(new URL('./app.js', ...), ...)    topology module: threads are worker threads
 *
 * Main thread only.
 */
import path from 'node:path';
import type { BrookBackend } from '../embedded/backend.js';
import { lockDataDir } from '../storage/data-dir.js';
import { resolveConfig, type ResolvedConfig, type StreamsConfig } from './config.js';
import type { Topology } from './dsl/topology.js';
import { StateStoreError } from './errors.js';
import { compareTaskIds } from './runtime/assignor.js';
import { StreamsGroupMember } from './runtime/group-member.js';
import { prepareTopics, type TopicLayout } from './runtime/internal-topics.js';
import type { AppState, AppStatus } from './runtime/status.js';
import { totalsOf } from './runtime/status.js';
import type { AssignedTask, ThreadHost } from './runtime/stream-thread.js';
import { InProcessThread, WorkerThread, type ThreadHandle } from './runtime/thread-handle.js';
import type { QueryEntry, StoreQuery } from './runtime/thread-query.js';
import { storeDefFor } from './runtime/thread-query.js';
import { buildTopology, loadTopologyModule } from './runtime/topology-module.js';
import { QueryServer } from './query/query-server.js';
import { ReadOnlyStore } from './query/read-only-store.js';

type BackendOwner = BrookBackend | { backend: BrookBackend };

export class KafkaStreams {
  readonly config: ResolvedConfig;
  state: AppState = 'CREATED';
  /** Why the application stopped, when state is ERROR. */
  error: Error | null = null;
  private readonly backend: BrookBackend;
  private topology: Topology | null;
  private topologyHref: string | null = null;
  private threads: ThreadHandle[] = [];
  private member: StreamsGroupMember | null = null;
  private layout: TopicLayout | null = null;
  private readonly taskThread = new Map<string, number>();
  private groupLoop: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private unlock: (() => void) | null = null;
  private queryServer: QueryServer | null = null;
  private readonly stateListeners: Array<(state: AppState) => void> = [];
  private readonly logListener: (message: string) => void;

  constructor(topology: Topology | string | URL, brook: BackendOwner, config: StreamsConfig & { log?: (message: string) => void }) {
    this.config = resolveConfig(config);
    this.backend = 'backend' in brook ? brook.backend : brook;
    this.topology = typeof topology === 'string' || topology instanceof URL ? null : topology;
    if (this.topology === null) this.topologyHref = String(topology instanceof URL ? topology.href : topology);
    this.logListener = config.log ?? ((message) => process.stderr.write(`brook streams: ${message}\n`));
  }

  /** The application's state dir: <stateDir>/<applicationId>. */
  get appDir(): string {
    return path.join(this.config.stateDir, this.config.applicationId);
  }

  async start(): Promise<void> {
    if (this.state !== 'CREATED') throw new Error(`start() was already called (state ${this.state})`);
    this.setState('REBALANCING');
    try {
      if (this.topology === null) this.topology = buildTopology(await loadTopologyModule(this.topologyHref!));
      this.unlock = lockDataDir(this.appDir);
      this.layout = await prepareTopics(this.topology, this.backend, this.config.applicationId);
      this.member = new StreamsGroupMember(this.backend, this.config, this.layout);
      await this.startThreads();
      if (this.config.queryServer) this.queryServer = await QueryServer.start(this, this.appDir);
    } catch (err) {
      await this.shutdown(false);
      this.setState('ERROR');
      throw err;
    }
    this.groupLoop = this.runGroup().catch((err: Error) => this.fail(err));
  }

  /** Resolves once this process has its tasks and is processing (state RUNNING); rejects on ERROR. */
  untilRunning(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (state: AppState): boolean => {
        if (state === 'RUNNING') resolve();
        else if (state === 'ERROR' || state === 'NOT_RUNNING') reject(this.error ?? new Error(`the application is ${state}`));
        else return false;
        return true;
      };
      if (!check(this.state)) this.stateListeners.push((state) => void check(state));
    });
  }

  onStateChange(listener: (state: AppState) => void): void {
    this.stateListeners.push(listener);
  }

  /** A store of this process's tasks (Kafka's KafkaStreams#store): get, range, all, fetch, fetchAll. */
  store(name: string): ReadOnlyStore {
    if (this.topology === null) throw new StateStoreError('the application has not started');
    return new ReadOnlyStore(storeDefFor(this.topology, name), (query) => this.query(query));
  }

  /** Runs a query on every thread and merges the answers. */
  async query(query: StoreQuery): Promise<QueryEntry[]> {
    if (this.topology === null) throw new StateStoreError('the application has not started');
    storeDefFor(this.topology, query.store);
    const answers = await Promise.all(this.threads.map((t) => t.query(query)));
    return answers.flat();
  }

  async status(): Promise<AppStatus> {
    const threads = await Promise.all(this.threads.map((t) => t.status().catch((err: Error) => ({ thread: t.index, tasks: [], sentRecords: 0, commits: 0, error: err.message }))));
    for (const thread of threads) thread.tasks.sort((a, b) => compareTaskIds(a.taskId, b.taskId));
    return {
      applicationId: this.config.applicationId, state: this.state, memberId: this.member?.memberId ?? '', generationId: this.member?.generationId ?? -1,
      threads, totals: totalsOf(threads),
    };
  }

  /** Commits what every thread processed, closes the tasks, leaves the group. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (this.state !== 'ERROR') this.setState('PENDING_SHUTDOWN');
    await this.shutdown(true);
    if (this.state !== 'ERROR') this.setState('NOT_RUNNING');
  }

  private async shutdown(commit: boolean): Promise<void> {
    this.member?.stop();
    if (commit) await Promise.all(this.threads.map((t) => t.revoke().catch(() => undefined)));
    await Promise.all(this.threads.map((t) => t.close().catch(() => undefined)));
    this.threads = [];
    await this.member?.leave();
    // A join waiting for other members returns once we have left; do not wait forever for it.
    await Promise.race([this.groupLoop, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await this.queryServer?.close();
    this.queryServer = null;
    this.unlock?.();
    this.unlock = null;
  }

  private host(): ThreadHost {
    return {
      commitOffsets: (offsets) => this.member!.commit(offsets),
      log: (message) => this.logListener(message),
      fatal: (error) => this.fail(error),
    };
  }

  private async startThreads(): Promise<void> {
    for (let index = 0; index < this.config.numStreamThreads; index++) {
      if (this.topologyHref === null) {
        this.threads.push(new InProcessThread(this.topology!, this.config, this.backend, this.host(), index));
        continue;
      }
      const thread = new WorkerThread({
        topologyHref: this.topologyHref, config: this.config, index,
        autoCreateTopics: this.backend.autoCreateTopics, numPartitions: this.backend.numPartitions,
      }, this.backend, this.host());
      this.threads.push(thread);
      await thread.started();
    }
  }

  private async runGroup(): Promise<void> {
    const member = this.member!;
    while (this.closing === null && this.state !== 'ERROR') {
      this.setState('REBALANCING');
      const taskIds = await member.join();
      if (taskIds === null || this.closing !== null) return;
      await this.assign(taskIds);
      if (!member.needsRejoin) this.setState('RUNNING');
      await member.rebalanced();
      if (this.closing !== null) return;
      // Eager rebalancing: every thread commits and closes its tasks before this member rejoins.
      await Promise.all(this.threads.map((t) => t.revoke()));
    }
  }

  /** Shards the tasks over the threads (a task keeps its thread) with their committed offsets. */
  private async assign(taskIds: string[]): Promise<void> {
    const layout = this.layout!;
    const perThread = new Map<number, AssignedTask[]>(this.threads.map((t) => [t.index, []]));
    const plans = taskIds.map((id) => {
      const [subtopology, partition] = id.split('_').map(Number) as [number, number];
      const inputs = (layout.sources.get(subtopology) ?? []).filter((s) => partition < s.partitions).map((s) => ({ topic: s.topic, partition }));
      return { id, subtopology, partition, inputs };
    });
    const committed = await this.member!.committed(plans.flatMap((p) => p.inputs));
    for (const plan of plans.sort((a, b) => compareTaskIds(a.id, b.id))) {
      let thread = this.taskThread.get(plan.id);
      if (thread === undefined || !perThread.has(thread)) {
        thread = [...perThread].reduce((best, entry) => (entry[1].length < best[1].length ? entry : best))[0];
        this.taskThread.set(plan.id, thread);
      }
      perThread.get(thread)!.push({
        subtopology: plan.subtopology, partition: plan.partition,
        committed: plan.inputs.map((i) => ({ topic: i.topic, ...(committed.get(`${i.topic}\u0000${i.partition}`) ?? { offset: -1, metadata: null }) })),
      });
    }
    await Promise.all(this.threads.map((t) => t.assign(perThread.get(t.index) ?? [])));
  }

  private fail(error: Error): void {
    if (this.state === 'ERROR' || this.closing !== null) return;
    this.error = error;
    this.setState('ERROR');
    this.logListener(`the application stopped: ${error.message}`);
    // Leave the group so the other processes take over this one's tasks at once.
    this.closing = this.shutdown(false);
  }

  private setState(state: AppState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }
}
