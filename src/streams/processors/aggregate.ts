/**
 * Aggregations of grouped streams (Kafka's KStreamAggregate, KStreamReduce and
 * KStreamWindowAggregate): count, reduce and aggregate per key, or per key and time window.
 *
 * Records with a null key or value are skipped (counted as dropped), as in Kafka. A result's
 * timestamp is the largest timestamp of the records it covers. With caching (the default) the
 * latest result per key is forwarded at commit; without, every update is forwarded at once.
 *
 * Time windows: a record updates every window that holds its timestamp and is still open; a
 * window closes when stream time reaches window end + grace, and a record for a closed window is
 * dropped (counted). Windows are [start, start + size).
 */
import type { KeyValueStore } from '../state/kv-store.js';
import type { TimeKeyedStore } from '../state/time-keyed-store.js';
import type { TimeWindows, Windowed } from '../windows.js';
import type { Forward, ProcessorContext, StreamRecord } from './api.js';
import type { Create } from './stateless.js';

export type Initializer<A> = () => A;
export type Aggregator<K, V, A> = (key: K, value: V, aggregate: A) => A;
export type Reducer<V> = (aggregate: V, value: V) => V;

/** What count, reduce and aggregate have in common: the first value's aggregate and the step. */
export interface AggregationSpec {
  /** For the first record of a key. */
  first(key: unknown, value: unknown): unknown;
  /** For every later record. */
  next(key: unknown, value: unknown, aggregate: unknown): unknown;
  /** aggregate() only: sessions merge starting from it, as Kafka's do. */
  initializer?: Initializer<unknown>;
}

export const countSpec: AggregationSpec = {
  first: () => 1,
  next: (_key, _value, aggregate) => (aggregate as number) + 1,
};

export function reduceSpec(reducer: Reducer<unknown>): AggregationSpec {
  return { first: (_key, value) => value, next: (_key, value, aggregate) => reducer(aggregate, value) };
}

export function aggregateSpec(initializer: Initializer<unknown>, aggregator: Aggregator<unknown, unknown, unknown>): AggregationSpec {
  return { first: (key, value) => aggregator(key, value, initializer()), next: aggregator, initializer };
}

function skipsNull(context: ProcessorContext, record: StreamRecord): boolean {
  if (record.key !== null && record.key !== undefined && record.value !== null && record.value !== undefined) return false;
  context.recordDropped('null key or value in an aggregation');
  return true;
}

export function aggregateNode(storeName: string, spec: AggregationSpec, caching: boolean): Create {
  return (context, forward) => {
    const store = context.store<KeyValueStore>(storeName);
    if (caching) {
      store.setChangeListener((key, value, oldValue, timestamp) => forward({ key, value, oldValue, timestamp, headers: [] }));
    }
    return {
      process(record) {
        if (skipsNull(context, record)) return;
        const old = store.get(record.key);
        const value = old === null ? spec.first(record.key, record.value) : spec.next(record.key, record.value, old.value);
        const timestamp = old === null ? record.timestamp : Math.max(old.timestamp, record.timestamp);
        store.put(record.key, value, timestamp);
        if (!caching) forward({ key: record.key, value, oldValue: old?.value ?? null, timestamp, headers: record.headers });
      },
    };
  };
}

export function windowedKey(key: unknown, start: number, end: number): Windowed<unknown> {
  return { key, window: { start, end } };
}

/** The forward for a window store's cached changes: its entries carry the window start as time. */
export function forwardWindowChanges(store: TimeKeyedStore, sizeMs: number, forward: Forward): void {
  store.setChangeListener((entry, value, oldValue, timestamp) => {
    const { key, time } = entry as { key: unknown; time: number };
    forward({ key: windowedKey(key, time, time + sizeMs), value, oldValue, timestamp, headers: [] });
  });
}

export function timeWindowAggregateNode(storeName: string, windows: TimeWindows, spec: AggregationSpec, caching: boolean): Create {
  return (context, forward) => {
    const store = context.store<TimeKeyedStore>(storeName);
    if (caching) forwardWindowChanges(store, windows.sizeMs, forward);
    const tumbling = windows.advanceMs === windows.sizeMs;
    const update = (record: StreamRecord, start: number, closeTime: number): void => {
      const end = start + windows.sizeMs;
      if (end <= closeTime) {
        context.recordDropped('late: its window is closed');
        return;
      }
      const old = store.current(record.key, start); // live: read before the put below
      const oldValue = old === null ? null : old.value;
      const value = old === null ? spec.first(record.key, record.value) : spec.next(record.key, record.value, oldValue);
      const timestamp = old === null ? record.timestamp : Math.max(old.timestamp, record.timestamp);
      store.put(record.key, start, value, timestamp);
      if (!caching) forward({ key: windowedKey(record.key, start, end), value, oldValue, timestamp, headers: record.headers });
    };
    return {
      process(record) {
        if (skipsNull(context, record)) return;
        const closeTime = context.streamTime - windows.graceMs;
        if (tumbling) {
          update(record, record.timestamp - (record.timestamp % windows.sizeMs), closeTime);
          return;
        }
        for (const start of windows.windowStartsFor(record.timestamp)) update(record, start, closeTime);
      },
    };
  };
}
