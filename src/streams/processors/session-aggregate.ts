/**
 * Session-window aggregation (Kafka's KStreamSessionWindowAggregate): a record at t starts the
 * session [t, t]; every session of the same key that ends at or after t - gap and starts at or
 * before t + gap merges with it (aggregates combined by the merger) into one session spanning
 * them all. The merged-away sessions are deleted and their deletion forwarded (null), then the
 * merged session is stored and forwarded. A merged session that ends before stream time - grace
 * is closed: the record is dropped (counted). Sessions are [start, end], inclusive.
 *
 * In the session store a session's time is its end and its suffix its start; results carry the
 * session end as timestamp, as Kafka's do.
 */
import type { TimeKeyedStore } from '../state/time-keyed-store.js';
import { TIME_MAX } from '../state/store-keys.js';
import type { SessionWindows } from '../windows.js';
import { windowedKey, type AggregationSpec } from './aggregate.js';
import type { Create } from './stateless.js';

export type Merger<K, A> = (key: K, aggregate1: A, aggregate2: A) => A;

export function sessionAggregateNode(storeName: string, windows: SessionWindows, spec: AggregationSpec, merger: Merger<unknown, unknown>, caching: boolean): Create {
  return (context, forward) => {
    const store = context.store<TimeKeyedStore>(storeName);
    if (caching) {
      store.setChangeListener((entry, value, oldValue, timestamp) => {
        const { key, time, suffix } = entry as { key: unknown; time: number; suffix: number };
        forward({ key: windowedKey(key, suffix, time), value, oldValue, timestamp, headers: [] });
      });
    }
    return {
      process(record) {
        const { key, value, timestamp: t } = record;
        if (key === null || key === undefined || value === null || value === undefined) {
          context.recordDropped('null key or value in an aggregation');
          return;
        }
        const closeTime = context.streamTime - windows.graceMs;
        const overlapping = store.fetch(key, t - windows.inactivityGapMs, TIME_MAX).filter((s) => s.suffix <= t + windows.inactivityGapMs);
        let start = t;
        let end = t;
        let aggregate: unknown = overlapping.length > 0 && spec.initializer !== undefined ? spec.initializer() : undefined;
        for (const session of overlapping) {
          start = Math.min(start, session.suffix);
          end = Math.max(end, session.time);
          aggregate = aggregate === undefined ? session.value : merger(key, aggregate, session.value);
        }
        if (end < closeTime) {
          context.recordDropped('late: its session is closed');
          return;
        }
        for (const session of overlapping) {
          if (session.suffix === start && session.time === end) continue; // rewritten below
          store.remove(key, session.time, session.suffix);
          if (!caching) forward({ key: windowedKey(key, session.suffix, session.time), value: null, oldValue: session.value, timestamp: session.time, headers: record.headers });
        }
        const merged = aggregate === undefined ? spec.first(key, value) : spec.next(key, value, aggregate);
        const old = overlapping.find((s) => s.suffix === start && s.time === end);
        store.put(key, end, merged, end, start);
        if (!caching) forward({ key: windowedKey(key, start, end), value: merged, oldValue: old?.value ?? null, timestamp: end, headers: record.headers });
      },
    };
  };
}
