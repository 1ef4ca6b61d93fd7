/**
 * A stream task (Kafka's StreamTask): one sub-topology over one partition of each of its source
 * topics, with its own processors and state stores (one lmdb environment in
 * <stateDir>/<applicationId>/<taskId>/). Records are deserialized as they are queued; process()
 * takes them in timestamp order across the task's partitions and runs them through the
 * processors. The commit protocol (commit.ts) calls flush(), then writeState() once the record
 * collector's sends are acknowledged.
 *
 * Owned by one stream thread (or the TopologyTestDriver); not thread-safe.
 */
import path from 'node:path';
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { BulkRecord } from '../../embedded/bulk-records.js';
import type { ResolvedConfig } from '../config.js';
import { changelogTopic, repartitionTopic } from '../config.js';
import type { Topology, TopologyNode, SourceDef } from '../dsl/topology.js';
import { fanOut, type Forward, type Processor, type ProcessorContext, type RecordOrigin } from '../processors/api.js';
import { KeyValueStore } from '../state/kv-store.js';
import { LocalStore, type WriteOp } from '../state/local-store.js';
import type { StateStore, StoreContext } from '../state/store.js';
import { TimeKeyedStore } from '../state/time-keyed-store.js';
import { StateStoreError } from '../errors.js';
import { RecordQueue } from './record-queue.js';
import { deserializeInto, valuesUnread, type BytesAt, type DeadLetterSink } from './deserialize.js';

const EMPTY = Buffer.alloc(0);

export interface TaskId {
  subtopology: number;
  partition: number;
}

export function taskIdString(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

/** Sends serialized records (sinks, repartition topics, changelogs); the runtime's producer or the test driver. */
export interface RecordCollector {
  send(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeader[]): void;
  /** Many records to one partition (a store's changelog at a flush). */
  sendBulk(topic: string, partition: number, records: BulkRecord[]): void;
}

export interface TaskCounters {
  processedRecords: number;
  droppedRecords: number;
  skippedRecords: number;
}

export class Task {
  readonly id: string;
  readonly local: LocalStore;
  readonly stores = new Map<string, StateStore>();
  readonly queues: RecordQueue[] = [];
  readonly counters: TaskCounters = { processedRecords: 0, droppedRecords: 0, skippedRecords: 0 };
  /** Largest timestamp processed (Kafka's stream time), restored from the committed offsets' metadata. */
  streamTime = -1;
  commitRequested = false;
  private readonly sources: SourceDef[];
  private readonly sourceProcessors: Forward[] = [];
  /** Per source: its values are never read, only null or not (deserialize.ts valuesUnread). */
  private readonly valueUnread: boolean[];
  /** Processors with their stores, upstream first: the flush order. */
  private readonly flushOrder: Array<{ processor: Processor; stores: StateStore[] }> = [];
  private origin: RecordOrigin | null = null;

  constructor(
    readonly taskId: TaskId,
    readonly topology: Topology,
    private readonly config: ResolvedConfig,
    private readonly collector: RecordCollector,
    private readonly deadLetters: DeadLetterSink,
  ) {
    this.id = taskIdString(taskId);
    this.local = new LocalStore(path.join(config.stateDir, config.applicationId, this.id));
    const sub = topology.subtopologies[taskId.subtopology];
    if (sub === undefined) throw new StateStoreError(`task ${this.id} names sub-topology ${taskId.subtopology}, which the topology does not have`);
    for (const storeName of sub.stores) this.stores.set(storeName, this.createStore(storeName));
    this.sources = topology.sourcesOf(taskId.subtopology);
    this.valueUnread = this.sources.map(valuesUnread);
    this.instantiate();
  }

  /** Physical topic names of the task's inputs. */
  inputTopics(): string[] {
    return this.sources.flatMap((s) => s.topics.map((t) => this.physical(t, s.repartition)));
  }

  queueFor(topic: string): RecordQueue | undefined {
    return this.queues.find((q) => q.topic === topic);
  }

  /** Queues one record (deserialized now; a failure follows the deserialization handler). */
  enqueue(queue: RecordQueue, offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: RecordHeader[]): void {
    this.enqueueAt(queue, offset, timestamp, { section: key ?? EMPTY, start: 0, length: key?.length ?? -1 }, { section: value ?? EMPTY, start: 0, length: value?.length ?? -1 }, headers);
  }

  /** The same, reading key and value in place from a fetched batch. */
  enqueueAt(queue: RecordQueue, offset: number, timestamp: number, keyAt: BytesAt, valueAt: BytesAt, headers: RecordHeader[]): void {
    const source = this.sources[queue.sourceIndex]!;
    const record = deserializeInto(source, queue, offset, timestamp, keyAt, valueAt, headers, this.config.deserializationExceptionHandler, this.deadLetters,
      this.valueUnread[queue.sourceIndex]);
    if (record.skip) this.counters.skippedRecords++;
    queue.push(record);
  }

  bufferedRecords(): number {
    let total = 0;
    for (const queue of this.queues) total += queue.size;
    return total;
  }

  /** Processes up to maxRecords queued records, smallest timestamp first; returns how many. */
  process(maxRecords: number): number {
    let done = 0;
    while (done < maxRecords) {
      let next: RecordQueue | null = null;
      for (const queue of this.queues) {
        if (queue.size > 0 && (next === null || queue.peekTimestamp() < next.peekTimestamp())) next = queue;
      }
      if (next === null) break;
      const record = next.shift();
      next.committableOffset = record.offset + 1;
      done++;
      if (record.skip) continue;
      if (record.timestamp > this.streamTime) this.streamTime = record.timestamp;
      if (record.timestamp > next.partitionTime) next.partitionTime = record.timestamp;
      this.origin = { topic: next.topic, partition: next.partition, offset: record.offset };
      this.sourceProcessors[next.sourceIndex]!(record);
      this.counters.processedRecords++;
    }
    this.origin = null;
    return done;
  }

  /** Commit step 1: emit-final buffers and caches forward, stores send their changelog records. */
  flush(): void {
    for (const { processor, stores } of this.flushOrder) {
      processor.flush?.();
      for (const store of stores) store.flush();
    }
  }

  /** Commit step 3 (once the changelog is acknowledged): the flushed entries as lmdb operations. */
  takeStateWrites(): WriteOp[] {
    this.commitRequested = false;
    return [...this.stores.values()].flatMap((s) => s.takeWrites());
  }

  /**
   * Writes them to lmdb, then expires old windows. The stores keep serving the flushed entries
   * from memory until this is done, so processing may go on meanwhile.
   */
  async applyStateWrites(writes: WriteOp[]): Promise<void> {
    await this.local.write(writes);
    const expired = [...this.stores.values()].flatMap((s) => s.expire(this.streamTime));
    await this.local.write(expired);
    for (const store of this.stores.values()) store.committed();
  }

  writeState(): Promise<void> {
    return this.applyStateWrites(this.takeStateWrites());
  }

  /** Changelog topic per logged store. */
  changelogs(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, store] of this.stores) if (store.def.logging) out.set(changelogTopic(this.config.applicationId, name), name);
    return out;
  }

  async close(): Promise<void> {
    for (const queue of this.queues) queue.clear();
    await this.local.close();
  }

  private physical(topic: string, repartition: boolean): string {
    return repartition ? repartitionTopic(this.config.applicationId, topic) : topic;
  }

  private createStore(name: string): StateStore {
    const def = this.topology.stores.get(name)!;
    const context: StoreContext = {
      local: this.local,
      changelogTopic: def.logging ? changelogTopic(this.config.applicationId, name) : null,
      partition: this.taskId.partition,
      sendChangelog: (records) => this.collector.sendBulk(changelogTopic(this.config.applicationId, name), this.taskId.partition, records),
      bufferedEntriesMax: this.config.bufferedEntriesMax,
      requestCommit: () => {
        this.commitRequested = true;
      },
    };
    return def.kind === 'keyValue' ? new KeyValueStore(def, context) : new TimeKeyedStore(def, context);
  }

  private context(): ProcessorContext {
    const task = this;
    return {
      applicationId: this.config.applicationId,
      taskId: this.id,
      partition: this.taskId.partition,
      get streamTime() {
        return task.streamTime;
      },
      get origin() {
        return task.origin;
      },
      store: <S>(name: string): S => {
        const store = this.stores.get(name);
        if (store === undefined) throw new StateStoreError(`task ${this.id} has no state store '${name}'`);
        return store as S;
      },
      send: (topic, partition, key, value, timestamp, headers) => this.collector.send(topic, partition, key, value, timestamp, headers),
      recordDropped: () => {
        this.counters.droppedRecords++;
      },
    };
  }

  /** Creates every node reachable from the task's sources once, children first, in topological order. */
  private instantiate(): void {
    const context = this.context();
    const created = new Map<string, Forward>();
    const order = topologicalOrder(this.sources.map((s) => s.node));
    for (const node of [...order].reverse()) {
      const childForwards = node.children.map((c) => created.get(c.name)!);
      const processor = node.create(context, fanOut(childForwards), childForwards);
      created.set(node.name, (record) => processor.process(record));
      this.flushOrder.unshift({ processor, stores: node.stores.map((s) => this.stores.get(s)!).filter((s, i, all) => all.indexOf(s) === i) });
    }
    this.sources.forEach((source, sourceIndex) => {
      this.sourceProcessors[sourceIndex] = created.get(source.node.name)!;
      for (const topic of source.topics) this.queues.push(new RecordQueue(this.physical(topic, source.repartition), this.taskId.partition, sourceIndex));
    });
  }
}

/** Kahn's algorithm over the nodes reachable from `roots`: every node after all of its parents. */
function topologicalOrder(roots: TopologyNode[]): TopologyNode[] {
  const reachable = new Set<TopologyNode>();
  const visit = (node: TopologyNode): void => {
    if (reachable.has(node)) return;
    reachable.add(node);
    for (const child of node.children) visit(child);
  };
  roots.forEach(visit);
  const indegree = new Map<TopologyNode, number>([...reachable].map((n) => [n, 0]));
  for (const node of reachable) for (const child of node.children) indegree.set(child, indegree.get(child)! + 1);
  const ready = [...reachable].filter((n) => indegree.get(n) === 0);
  const order: TopologyNode[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const child of node.children) {
      indegree.set(child, indegree.get(child)! - 1);
      if (indegree.get(child) === 0) ready.push(child);
    }
  }
  return order;
}
