/**
 * The processor layer under the DSL (Kafka's Processor API, reduced to what the DSL needs): a
 * topology is a graph of node definitions; each task instantiates every node of its
 * sub-topology once, wiring `forward` to the node's children. Records flow synchronously: a
 * processor's process() returns after its children processed whatever it forwarded.
 *
 * Processors run on one stream thread and are not thread-safe; each belongs to one task.
 */
import type { RecordHeader } from '../../protocol/record-batch.js';

/** One record inside a task: deserialized key and value, event time, headers. */
export interface StreamRecord {
  key: unknown;
  value: unknown;
  timestamp: number;
  headers: RecordHeader[];
  /**
   * A KTable change also carries the value it replaced (Kafka's Change<V>): undefined in
   * streams, null when the key had no value before.
   */
  oldValue?: unknown;
}

export type Forward = (record: StreamRecord) => void;

export interface Processor {
  process(record: StreamRecord): void;
  /**
   * Runs before each commit, after the processors upstream of it flushed (emit-final buffers
   * check stream time here as well as per record).
   */
  flush?(): void;
}

/** Where the input record being processed came from (logs, dead letters, record metadata). */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
}

/** What a processor may use from its task. */
export interface ProcessorContext {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  /** The largest timestamp this task has processed (Kafka's stream time); -1 before any. */
  readonly streamTime: number;
  /** The input record being processed; null during a flush. */
  readonly origin: RecordOrigin | null;
  /** A state store of this task, by name. */
  store<S>(name: string): S;
  /** Hands a serialized record to the task's record collector (sinks, repartition topics). */
  send(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeader[]): void;
  /** Counts a record dropped on purpose (late for its window, null key where one is needed). */
  recordDropped(reason: string): void;
}

/**
 * A node of the topology: `create` builds its processor for one task; children receive what it
 * forwards. `stores` names the state stores it uses (they join the node's sub-topology).
 */
export interface NodeDef {
  readonly name: string;
  readonly children: NodeDef[];
  readonly stores: readonly string[];
  /** `forward` reaches every child; `forwardTo[i]` only child i (branches). */
  create(context: ProcessorContext, forward: Forward, forwardTo: Forward[]): Processor;
}

/** The current value of a table key, for joins (Kafka's KTableValueGetter). */
export interface ValueAndTimestamp {
  value: unknown;
  timestamp: number;
}

export type ValueGetter = (key: unknown) => ValueAndTimestamp | null;

/** Builds a table's value getter in a task (a store read, possibly through filters and mappers). */
export type ValueGetterFactory = (context: ProcessorContext) => ValueGetter;

/** Forwards to every child in order. */
export function fanOut(children: Array<(record: StreamRecord) => void>): Forward {
  if (children.length === 0) return () => undefined;
  if (children.length === 1) return children[0]!;
  return (record) => {
    for (const child of children) child(record);
  };
}
