/**
 * Record-at-a-time processors without state (Kafka's KStreamFilter, KStreamMap, KStreamMapValues,
 * KStreamFlatMap, KStreamPeek, KStreamBranch ...). Each returns the `create` function of a
 * topology node. Keys and values reach user functions deserialized; a user function that throws
 * fails the stream thread (as in Kafka, where the processing exception handler defaults to fail).
 */
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { Forward, Processor, ProcessorContext, StreamRecord } from './api.js';

export type Predicate<K, V> = (key: K, value: V) => boolean;
export type KeyValue<K, V> = [K, V];
export type ValueMapper<K, V, VR> = (value: V, key: K) => VR;
export type KeyValueMapper<K, V, R> = (key: K, value: V) => R;
export type Create = (context: ProcessorContext, forward: Forward, forwardTo: Forward[]) => Processor;

export function filterNode(predicate: Predicate<unknown, unknown>, negate: boolean): Create {
  return (_context, forward) => ({
    process(record) {
      if (predicate(record.key, record.value) !== negate) forward(record);
    },
  });
}

/** Table filter: a record that no longer passes becomes a deletion (null), as Kafka's KTableFilter. */
export function tableFilterNode(predicate: Predicate<unknown, unknown>, negate: boolean): Create {
  const passes = (key: unknown, value: unknown): boolean => value !== null && predicate(key, value) !== negate;
  return (_context, forward) => ({
    process(record) {
      const newValue = passes(record.key, record.value) ? record.value : null;
      const oldValue = record.oldValue !== undefined && record.oldValue !== null && passes(record.key, record.oldValue) ? record.oldValue : null;
      if (newValue === null && oldValue === null) return;
      forward({ ...record, value: newValue, oldValue });
    },
  });
}

export function mapNode(mapper: KeyValueMapper<unknown, unknown, KeyValue<unknown, unknown>>): Create {
  return (_context, forward) => ({
    process(record) {
      const [key, value] = mapper(record.key, record.value);
      forward({ key, value, timestamp: record.timestamp, headers: record.headers });
    },
  });
}

export function mapValuesNode(mapper: ValueMapper<unknown, unknown, unknown>, table: boolean): Create {
  return (_context, forward) => ({
    process(record) {
      if (!table) {
        forward({ key: record.key, value: mapper(record.value, record.key), timestamp: record.timestamp, headers: record.headers });
        return;
      }
      // A table maps both sides of a change; a deletion stays a deletion.
      const value = record.value === null ? null : mapper(record.value, record.key);
      const oldValue = record.oldValue === undefined || record.oldValue === null ? record.oldValue : mapper(record.oldValue, record.key);
      forward({ ...record, value, oldValue });
    },
  });
}

export function selectKeyNode(selector: KeyValueMapper<unknown, unknown, unknown>): Create {
  return (_context, forward) => ({
    process(record) {
      forward({ key: selector(record.key, record.value), value: record.value, timestamp: record.timestamp, headers: record.headers });
    },
  });
}

export function flatMapNode(mapper: KeyValueMapper<unknown, unknown, Iterable<KeyValue<unknown, unknown>>>): Create {
  return (_context, forward) => ({
    process(record) {
      for (const [key, value] of mapper(record.key, record.value)) forward({ key, value, timestamp: record.timestamp, headers: record.headers });
    },
  });
}

export function flatMapValuesNode(mapper: ValueMapper<unknown, unknown, Iterable<unknown>>): Create {
  return (_context, forward) => ({
    process(record) {
      for (const value of mapper(record.value, record.key)) forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
    },
  });
}

/** peek forwards; foreach is a terminal peek. */
export function peekNode(action: (key: unknown, value: unknown) => void): Create {
  return (_context, forward) => ({
    process(record) {
      action(record.key, record.value);
      forward(record);
    },
  });
}

/** Forwards unchanged: merge points, the branch children, table-to-stream. */
export function passThroughNode(): Create {
  return (_context, forward) => ({ process: forward });
}

/** KTable.toStream(): drops the old value, keeps deletions as null values. */
export function toStreamNode(mapper?: KeyValueMapper<unknown, unknown, unknown>): Create {
  return (_context, forward) => ({
    process(record) {
      const key = mapper === undefined ? record.key : mapper(record.key, record.value);
      forward({ key, value: record.value, timestamp: record.timestamp, headers: record.headers });
    },
  });
}

/**
 * split()/branch(): the record goes to the first branch whose predicate holds (the default
 * branch takes the rest; without one they are dropped). Children are indexed by branch.
 */
export function branchNode(predicates: Array<Predicate<unknown, unknown> | null>): Create {
  return (_context, _forward, forwardTo) => ({
    process(record: StreamRecord) {
      for (let i = 0; i < predicates.length; i++) {
        const predicate = predicates[i];
        if (predicate === null || predicate(record.key, record.value)) {
          forwardTo[i]!(record);
          return;
        }
      }
    },
  });
}

export function headersCopy(headers: RecordHeader[]): RecordHeader[] {
  return headers.map((h) => ({ key: h.key, value: h.value }));
}
