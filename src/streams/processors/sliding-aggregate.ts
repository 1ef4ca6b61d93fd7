/**
 * Sliding-window aggregation (Kafka's SlidingWindows, KIP-450): windows of `timeDifference` that
 * exist only where records are. Every record has a left window [t - d, t] ending at it, and a
 * right window [t + 1, t + 1 + d] once a later record falls within d of it; a window holds at
 * least one record, so at most two windows per record are created, and every window holding t
 * is updated. Windows are inclusive at both ends.
 *
 * The window store keeps, per window, the aggregate and the largest record timestamp in it,
 * which is what decides whether neighbouring windows exist and what they hold (the same
 * reasoning as Kafka's KStreamSlidingWindowAggregate, so the emitted updates match Kafka's).
 * Records earlier than d (t < d) share the window [0, d], as in Kafka.
 */
import type { TimeKeyedEntry, TimeKeyedStore } from '../state/time-keyed-store.js';
import type { SlidingWindows } from '../windows.js';
import { forwardWindowChanges, windowedKey, type AggregationSpec } from './aggregate.js';
import type { Forward, ProcessorContext, StreamRecord } from './api.js';
import type { Create } from './stateless.js';

interface Step {
  store: TimeKeyedStore;
  windows: SlidingWindows;
  spec: AggregationSpec;
  caching: boolean;
  context: ProcessorContext;
  forward: Forward;
}

/** Adds the record to the window starting at `start` (whose current state is `existing`) if it is still open. */
function update(step: Step, record: StreamRecord, start: number, existing: { value: unknown; timestamp: number } | null, closeTime: number): void {
  const end = start + step.windows.timeDifferenceMs;
  if (end < closeTime) {
    step.context.recordDropped('late: its sliding window is closed');
    return;
  }
  const value = existing === null ? step.spec.first(record.key, record.value) : step.spec.next(record.key, record.value, existing.value);
  const timestamp = existing === null ? record.timestamp : Math.max(existing.timestamp, record.timestamp);
  step.store.put(record.key, start, value, timestamp);
  if (!step.caching) step.forward({ key: windowedKey(record.key, start, end), value, oldValue: existing?.value ?? null, timestamp, headers: record.headers });
}

/** A right window copied from an aggregate that already holds exactly its records. */
function createRightWindow(step: Step, record: StreamRecord, from: TimeKeyedEntry): void {
  const start = record.timestamp + 1;
  step.store.put(record.key, start, from.value, from.timestamp);
  if (!step.caching) {
    step.forward({ key: windowedKey(record.key, start, start + step.windows.timeDifferenceMs), value: from.value, oldValue: null, timestamp: from.timestamp, headers: record.headers });
  }
}

function processRegular(step: Step, record: StreamRecord, closeTime: number): void {
  const t = record.timestamp;
  const d = step.windows.timeDifferenceMs;
  const starts = new Set<number>();
  let leftAggregate: TimeKeyedEntry | null = null;
  let rightAggregate: TimeKeyedEntry | null = null;
  let leftExists = false;
  let rightExists = false;
  let previousTimestamp: number | null = null;
  for (const window of step.store.fetch(record.key, Math.max(0, t - 2 * d), t + 1)) {
    const start = window.time;
    const end = start + d;
    starts.add(start);
    if (end < t) {
      leftAggregate = window;
      previousTimestamp = window.timestamp;
    } else if (end === t) {
      leftExists = true;
      if (window.timestamp < t) previousTimestamp = window.timestamp;
      update(step, record, start, window, closeTime);
    } else if (start <= t) {
      rightAggregate = window;
      update(step, record, start, window, closeTime);
    } else {
      rightExists = true; // start === t + 1
    }
  }
  if (previousTimestamp !== null && !starts.has(previousTimestamp + 1) && previousTimestamp + 1 + d >= t) {
    update(step, record, previousTimestamp + 1, null, closeTime);
  }
  if (!leftExists) {
    const seed = previousTimestamp !== null && t - d <= previousTimestamp && leftAggregate !== null ? { value: leftAggregate.value, timestamp: t } : null;
    update(step, record, t - d, seed, closeTime);
  }
  if (!rightExists && rightAggregate !== null && rightAggregate.timestamp > t) createRightWindow(step, record, rightAggregate);
}

function processEarly(step: Step, record: StreamRecord, closeTime: number): void {
  const t = record.timestamp;
  let combined: TimeKeyedEntry | null = null;
  let rightAggregate: TimeKeyedEntry | null = null;
  let rightExists = false;
  let previousTimestamp: number | null = null;
  const starts = new Set<number>();
  for (const window of step.store.fetch(record.key, 0, t + 1)) {
    starts.add(window.time);
    if (window.time === 0) {
      combined = window;
      if (window.timestamp < t) previousTimestamp = window.timestamp;
    } else if (window.time <= t) {
      rightAggregate = window;
      update(step, record, window.time, window, closeTime);
    } else {
      rightExists = true;
    }
  }
  if (rightAggregate === null && combined !== null && combined.timestamp > t) rightAggregate = combined;
  if (!rightExists && rightAggregate !== null && rightAggregate.timestamp > t) createRightWindow(step, record, rightAggregate);
  if (previousTimestamp !== null && !starts.has(previousTimestamp + 1)) update(step, record, previousTimestamp + 1, null, closeTime);
  update(step, record, 0, combined, closeTime);
}

export function slidingWindowAggregateNode(storeName: string, windows: SlidingWindows, spec: AggregationSpec, caching: boolean): Create {
  return (context, forward) => {
    const store = context.store<TimeKeyedStore>(storeName);
    if (caching) forwardWindowChanges(store, windows.timeDifferenceMs, forward);
    const step: Step = { store, windows, spec, caching, context, forward };
    return {
      process(record) {
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          context.recordDropped('null key or value in an aggregation');
          return;
        }
        const closeTime = context.streamTime - windows.graceMs;
        if (record.timestamp + 1 + windows.timeDifferenceMs <= closeTime) {
          context.recordDropped('late: every sliding window it belongs to is closed');
          return;
        }
        if (record.timestamp < windows.timeDifferenceMs) processEarly(step, record, closeTime);
        else processRegular(step, record, closeTime);
      },
    };
  };
}
