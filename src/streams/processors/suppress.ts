/**
 * "Emit final" for windowed tables (Kafka's suppress(Suppressed.untilWindowCloses(...))): updates
 * of a window are held back, the latest per window replacing the previous, and the final one is
 * forwarded once the window closes, that is when the stream time this processor has seen reaches
 * window end + grace. Each window is emitted once (a crash can repeat it: see README).
 *
 * The buffer is a key-value store (so it has a changelog and survives restarts and moves) keyed by
 * the windowed key; an in-memory index by window end decides what to emit. Stream time here is
 * the largest timestamp among the updates received, as Kafka's suppression measures it, so an
 * update still held in an upstream cache cannot be overtaken by its own window's emission.
 */
import type { KeyValueStore } from '../state/kv-store.js';
import type { Windowed } from '../windows.js';
import type { Create } from './stateless.js';

interface Held {
  key: Windowed<unknown>;
  timestamp: number;
}

export function suppressNode(storeName: string, graceMs: number): Create {
  return (context, forward) => {
    const buffer = context.store<KeyValueStore>(storeName);
    /** Window end -> held windowed keys (by a printable id). */
    const byEnd = new Map<number, Map<string, Held>>();
    let ends: number[] = [];
    let observedStreamTime = -1;
    const idOf = (key: Windowed<unknown>): string => `${JSON.stringify(key.key)}@${key.window.start}`;
    const hold = (key: Windowed<unknown>, timestamp: number): void => {
      let held = byEnd.get(key.window.end);
      if (held === undefined) {
        held = new Map();
        byEnd.set(key.window.end, held);
        ends.push(key.window.end);
        ends.sort((a, b) => a - b);
      }
      held.set(idOf(key), { key, timestamp });
    };
    const release = (key: Windowed<unknown>): void => {
      byEnd.get(key.window.end)?.delete(idOf(key));
    };
    for (const entry of buffer.all()) {
      hold(entry.key as Windowed<unknown>, entry.timestamp);
      observedStreamTime = Math.max(observedStreamTime, entry.timestamp);
    }
    const emitClosed = (): void => {
      while (ends.length > 0 && ends[0]! + graceMs <= observedStreamTime) {
        const end = ends[0]!;
        for (const held of byEnd.get(end)!.values()) {
          const current = buffer.get(held.key);
          buffer.delete(held.key);
          if (current !== null) forward({ key: held.key, value: current.value, oldValue: null, timestamp: current.timestamp, headers: [] });
        }
        byEnd.delete(end);
        ends = ends.slice(1);
      }
    };
    return {
      process(record) {
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        const key = record.key as Windowed<unknown>;
        if (record.value === null || record.value === undefined) {
          // A deleted window (a session merged away) has no final result.
          buffer.delete(key);
          release(key);
        } else {
          buffer.put(key, record.value, record.timestamp);
          hold(key, record.timestamp);
        }
        emitClosed();
      },
      flush: emitClosed,
    };
  };
}
