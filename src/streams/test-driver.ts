/**
 * TopologyTestDriver (Kafka's, for unit tests of a topology): runs a topology's tasks in this
 * thread without a broker. Every topic has one partition; records piped into an input topic are
 * processed at once; records sent to a repartition topic are fed straight to the task that reads
 * it; everything sent elsewhere (outputs, changelogs, dead letters) is captured for reading.
 * Stores are real: lmdb under the given state dir. After each piped record the driver commits
 * (caches flush, state is written), unless `autoCommit: false`.
 */
import type { RecordHeader } from '../protocol/record-batch.js';
import { resolveConfig, type ResolvedConfig, type StreamsConfig } from './config.js';
import type { Topology } from './dsl/topology.js';
import type { Serde } from './serdes.js';
import { Task, type RecordCollector } from './runtime/task.js';
import type { DeadLetterSink } from './runtime/deserialize.js';

export interface CapturedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: RecordHeader[];
}

export interface TestRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
}

export class TopologyTestDriver {
  readonly config: ResolvedConfig;
  private readonly tasks: Task[] = [];
  private readonly captured = new Map<string, CapturedRecord[]>();
  private readonly nextOffset = new Map<string, number>();
  private readonly logs: string[] = [];
  private readonly autoCommit: boolean;
  private pending: Array<{ topic: string; record: CapturedRecord }> = [];

  constructor(
    readonly topology: Topology,
    config: StreamsConfig & { autoCommit?: boolean },
  ) {
    this.config = resolveConfig({ queryServer: false, ...config });
    this.autoCommit = config.autoCommit ?? true;
    const collector: RecordCollector = {
      send: (topic, _partition, key, value, timestamp, headers) => this.route(topic, { key, value, timestamp, headers }),
      sendBulk: (topic, _partition, records) => {
        for (const { key, value, timestamp } of records) this.route(topic, { key, value, timestamp, headers: [] });
      },
    };
    const deadLetters: DeadLetterSink = {
      send: (topic, key, value, timestamp, headers) => this.route(topic, { key, value, timestamp, headers }),
      log: (message) => this.logs.push(message),
    };
    for (const sub of topology.subtopologies) this.tasks.push(new Task({ subtopology: sub.id, partition: 0 }, topology, this.config, collector, deadLetters));
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): { pipeInput(key: K | null, value: V | null, timestamp?: number): void } {
    return {
      pipeInput: (key, value, timestamp = Date.now()) => {
        this.input(topic, { key: keySerde.serialize(key), value: valueSerde.serialize(value), timestamp, headers: [] });
      },
    };
  }

  /** Reads (and removes) what was sent to `topic` so far. */
  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): { readRecordsToList(): Array<TestRecord<K, V>>; readKeyValuesToList(): Array<[K | null, V | null]>; isEmpty(): boolean } {
    const read = (): Array<TestRecord<K, V>> => {
      const records = this.captured.get(topic) ?? [];
      this.captured.set(topic, []);
      return records.map((r) => ({ key: keySerde.deserialize(r.key, topic), value: valueSerde.deserialize(r.value, topic), timestamp: r.timestamp }));
    };
    return {
      readRecordsToList: read,
      readKeyValuesToList: () => read().map((r) => [r.key, r.value]),
      isEmpty: () => (this.captured.get(topic) ?? []).length === 0,
    };
  }

  /** Every record sent to `topic` (raw, not removed): changelogs, dead letters. */
  capturedRecords(topic: string): CapturedRecord[] {
    return this.captured.get(topic) ?? [];
  }

  /** A state store of the (only) task that has it. */
  getStore<S>(name: string): S {
    for (const task of this.tasks) {
      const store = task.stores.get(name);
      if (store !== undefined) return store as S;
    }
    throw new Error(`no state store named '${name}'`);
  }

  /** Log lines of skipped records (deserializationExceptionHandler: logAndContinue). */
  skippedRecordLogs(): string[] {
    return [...this.logs];
  }

  /** Records dropped on purpose (late, null keys) across all tasks. */
  droppedRecords(): number {
    return this.tasks.reduce((sum, t) => sum + t.counters.droppedRecords, 0);
  }

  /** Flushes caches and emit-final buffers and writes the state, as a commit does. */
  async commit(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      for (const task of this.tasks) task.flush();
      if (this.pending.length === 0) break;
      this.drain();
    }
    for (const task of this.tasks) await task.writeState();
  }

  /** Pipes one serialized record; commits afterwards unless autoCommit is false. */
  input(topic: string, record: CapturedRecord): void {
    this.pending.push({ topic, record });
    this.drain();
    if (this.autoCommit) {
      // Synchronous callers see flushed results at once; the lmdb write completes in the background.
      for (let round = 0; round < 100; round++) {
        for (const task of this.tasks) task.flush();
        if (this.pending.length === 0) break;
        this.drain();
      }
      this.writing = this.writing.then(() => Promise.all(this.tasks.map((t) => t.writeState()))).then(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.writing;
    for (const task of this.tasks) await task.close();
  }

  private writing: Promise<void> = Promise.resolve();

  private route(topic: string, record: CapturedRecord): void {
    if (this.tasks.some((t) => t.queueFor(topic) !== undefined)) this.pending.push({ topic, record });
    else {
      const list = this.captured.get(topic) ?? [];
      list.push(record);
      this.captured.set(topic, list);
    }
  }

  /** Feeds pending records to the tasks that read their topics until nothing is pending. */
  private drain(): void {
    while (this.pending.length > 0) {
      const { topic, record } = this.pending.shift()!;
      const task = this.tasks.find((t) => t.queueFor(topic) !== undefined);
      if (task === undefined) throw new Error(`topic '${topic}' is not an input of this topology`);
      const offset = this.nextOffset.get(topic) ?? 0;
      this.nextOffset.set(topic, offset + 1);
      task.enqueue(task.queueFor(topic)!, offset, record.timestamp, record.key, record.value, record.headers);
      task.process(Infinity);
    }
  }
}
