/**
 * Windowed stream-stream joins (Kafka's KStreamKStreamJoin with JoinWindows): each side keeps its
 * recent records in a join buffer (a window store keeping duplicates); a record joins every
 * record of the other side with the same key whose time t' satisfies, for a left record at t,
 * t - before <= t' <= t + after (a right record sees the mirror window). A result's timestamp is
 * the later of the two.
 *
 * Lateness: a left record is dropped once t + after + grace < stream time, a right record once
 * t + before + grace < stream time (the window it could still join is closed).
 *
 * leftJoin / outerJoin do not emit "no match" at once (that would be a spurious result whenever
 * the match arrives later): an unmatched record waits in a shared outer buffer and is emitted with
 * null once no record still accepted could join it, i.e. when t + before + after + grace < stream
 * time; a match that arrives first removes it. (Kafka 3.1+ holds such records back too; its
 * release time is t + after + grace, which can still let a slightly out-of-order record join
 * after the null result: this one waits `before` longer and never does.)
 */
import type { TimeKeyedStore } from '../state/time-keyed-store.js';
import { TIME_MAX } from '../state/store-keys.js';
import type { JoinWindows } from '../windows.js';
import type { Forward, ProcessorContext, StreamRecord } from './api.js';
import type { Create } from './stateless.js';
import type { ValueJoiner } from './table.js';

export type StreamJoinKind = 'inner' | 'left' | 'outer';

export interface StreamJoinStores {
  left: string;
  right: string;
  /** leftJoin / outerJoin only. */
  outer: string | null;
}

/** An outer-buffer entry: which side and the value, with the suffix it has in its side's buffer. */
export interface OuterValue {
  side: 'left' | 'right';
  value: unknown;
}

const sideBit = (side: 'left' | 'right'): number => (side === 'left' ? 0 : 1);

/** Both sides of a join in one task share one outer buffer (and its due time). */
const outerBuffers = new WeakMap<TimeKeyedStore, OuterBuffer>();

function outerBufferOf(store: TimeKeyedStore, releaseAfterMs: number): OuterBuffer {
  let buffer = outerBuffers.get(store);
  if (buffer === undefined) {
    buffer = new OuterBuffer(store, releaseAfterMs);
    outerBuffers.set(store, buffer);
  }
  return buffer;
}

class OuterBuffer {
  /** The earliest time a waiting record is due (Infinity: none waits). */
  private nextDueMs = -1;

  constructor(
    private readonly store: TimeKeyedStore,
    private readonly releaseAfterMs: number,
  ) {}

  add(key: unknown, time: number, bufferSuffix: number, value: OuterValue): void {
    this.store.put(key, time, value, time, bufferSuffix * 2 + sideBit(value.side));
    if (this.nextDueMs !== -1) this.nextDueMs = Math.min(this.nextDueMs, time + this.releaseAfterMs);
  }

  matched(key: unknown, time: number, bufferSuffix: number, side: 'left' | 'right'): void {
    const suffix = bufferSuffix * 2 + sideBit(side);
    if (this.store.get(key, time, suffix) !== null) this.store.remove(key, time, suffix);
  }

  /** Emits (as null joins) the records no accepted record can join any more. */
  release(streamTime: number, emit: (key: unknown, value: OuterValue, time: number) => void): void {
    if (this.nextDueMs === -1) this.nextDueMs = this.dueOf(this.store.fetchAll(0, TIME_MAX));
    if (this.nextDueMs >= streamTime) return;
    const due = this.store.fetchAll(0, streamTime - this.releaseAfterMs - 1);
    for (const entry of due) {
      this.store.remove(entry.key, entry.time, entry.suffix);
      emit(entry.key, entry.value as OuterValue, entry.time);
    }
    this.nextDueMs = this.dueOf(this.store.fetchAll(streamTime - this.releaseAfterMs, TIME_MAX));
  }

  private dueOf(entries: Array<{ time: number }>): number {
    return entries.length === 0 ? Infinity : entries[0]!.time + this.releaseAfterMs;
  }
}

export interface StreamJoinSpec {
  windows: JoinWindows;
  joiner: ValueJoiner<unknown, unknown, unknown>;
  kind: StreamJoinKind;
  stores: StreamJoinStores;
}

/** The processor of one side; both sides forward to the same downstream node. */
export function streamJoinSideNode(spec: StreamJoinSpec, side: 'left' | 'right'): Create {
  const { windows, joiner, kind, stores } = spec;
  const isLeft = side === 'left';
  const beforeMs = isLeft ? windows.beforeMs : windows.afterMs;
  const afterMs = isLeft ? windows.afterMs : windows.beforeMs;
  const waitsWhenUnmatched = kind === 'outer' || (kind === 'left' && isLeft);
  return (context: ProcessorContext, forward: Forward) => {
    const mine = context.store<TimeKeyedStore>(isLeft ? stores.left : stores.right);
    const others = context.store<TimeKeyedStore>(isLeft ? stores.right : stores.left);
    const outer = stores.outer === null ? null : outerBufferOf(context.store<TimeKeyedStore>(stores.outer), windows.beforeMs + windows.afterMs + windows.graceMs);
    const emitUnmatched = (key: unknown, waiting: OuterValue, time: number): void => {
      const value = waiting.side === 'left' ? joiner(waiting.value, null) : joiner(null, waiting.value);
      forward({ key, value, timestamp: time, headers: [] });
    };
    const join = (record: StreamRecord): void => {
      const t = record.timestamp;
      if (t + afterMs + windows.graceMs < context.streamTime) {
        context.recordDropped('late: its join window is closed');
        return;
      }
      const matches = others.fetch(record.key, t - beforeMs, t + afterMs);
      for (const other of matches) {
        const value = isLeft ? joiner(record.value, other.value) : joiner(other.value, record.value);
        forward({ key: record.key, value, timestamp: Math.max(t, other.timestamp), headers: record.headers });
        outer?.matched(record.key, other.time, other.suffix, isLeft ? 'right' : 'left');
      }
      const suffix = mine.append(record.key, t, record.value, t);
      if (matches.length === 0 && waitsWhenUnmatched) outer!.add(record.key, t, suffix, { side, value: record.value });
    };
    return {
      process(record) {
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          context.recordDropped('null key or value in a stream-stream join');
          return;
        }
        join(record);
        outer?.release(context.streamTime, emitUnmatched);
      },
      flush() {
        outer?.release(context.streamTime, emitUnmatched);
      },
    };
  };
}
