/**
 * Window specifications, by event time in milliseconds (Kafka's TimeWindows, SlidingWindows,
 * SessionWindows, JoinWindows), and the windowed key serdes.
 *
 * A window is closed once stream time (the largest timestamp a task has seen) reaches its end plus
 * the grace period; records that arrive for a closed window are dropped and counted
 * (droppedRecords), exactly Kafka's rule. Time windows are [start, end) (end exclusive); sliding
 * and session windows are [start, end] (both inclusive), as in Kafka.
 */
import { StreamsConfigError } from './errors.js';
import { Serdes, type Serde } from './serdes.js';

export interface Window {
  start: number;
  end: number;
}

export interface Windowed<K> {
  key: K;
  window: Window;
}

function checkMs(value: number, what: string, allowZero: boolean): number {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new StreamsConfigError(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} integer of milliseconds, got ${value}`);
  }
  return value;
}

/** Kafka's windowstore.changelog.additional.retention.ms: extra time a windowed changelog keeps. */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 3600 * 1000;

/** Tumbling (advance = size) or hopping (advance < size) windows of a fixed size. */
export class TimeWindows {
  readonly kind = 'time';
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkMs(sizeMs, 'window size', false);
    return new TimeWindows(sizeMs, sizeMs, checkMs(graceMs, 'grace period', true));
  }

  /** Hopping windows: a new window every advanceMs (0 < advanceMs <= size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkMs(advanceMs, 'window advance', false);
    if (advanceMs > this.sizeMs) throw new StreamsConfigError(`window advance ${advanceMs} ms is larger than the window size ${this.sizeMs} ms`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** Start times of the windows holding `timestamp` (windows never start before 0, as in Kafka). */
  windowStartsFor(timestamp: number): number[] {
    const starts: number[] = [];
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs;
    for (; start <= timestamp; start += this.advanceMs) starts.push(start);
    return starts;
  }

  /** How long the store must keep a window after it starts. */
  get retentionMs(): number {
    return this.sizeMs + this.graceMs;
  }
}

/** Windows of a fixed size that slide with each record (Kafka 2.7+ SlidingWindows). */
export class SlidingWindows {
  readonly kind = 'sliding';
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(checkMs(timeDifferenceMs, 'time difference', false), checkMs(graceMs, 'grace period', true));
  }

  /** The aggregation looks back 2d before a record that is itself up to d + grace behind stream time. */
  get retentionMs(): number {
    return 3 * this.timeDifferenceMs + this.graceMs + 1;
  }
}

/** Per-key sessions of activity separated by an inactivity gap. */
export class SessionWindows {
  readonly kind = 'session';
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0);
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(checkMs(inactivityGapMs, 'inactivity gap', false), checkMs(graceMs, 'grace period', true));
  }

  get retentionMs(): number {
    return this.inactivityGapMs + this.graceMs;
  }
}

/** How far apart two records' timestamps may be to join (Kafka's JoinWindows). */
export class JoinWindows {
  readonly kind = 'join';
  private constructor(
    /** A record of the other side may be this much older. */
    readonly beforeMs: number,
    /** ... or this much newer. */
    readonly afterMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkMs(timeDifferenceMs, 'time difference', true);
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, checkMs(graceMs, 'grace period', true));
  }

  before(beforeMs: number): JoinWindows {
    return new JoinWindows(checkMs(beforeMs, 'before', true), this.afterMs, this.graceMs);
  }

  after(afterMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, checkMs(afterMs, 'after', true), this.graceMs);
  }

  get retentionMs(): number {
    return this.beforeMs + this.afterMs + this.graceMs + 1;
  }
}

export type AggregationWindows = TimeWindows | SlidingWindows;

/**
 * Windowed keys on a topic, Kafka's layouts so Java readers agree: time windows
 * [key bytes][start int64] (the end is start + size), session windows
 * [key bytes][end int64][start int64].
 */
export function timeWindowedSerde<K>(inner: Serde<K>, sizeMs: number): Serde<Windowed<K>> {
  return Serdes.from<Windowed<K>>({
    name: `TimeWindowed<${inner.name}>`,
    serialize(windowed, topic) {
      const key = inner.serialize(windowed.key, topic) ?? Buffer.alloc(0);
      const out = Buffer.allocUnsafe(key.length + 8);
      key.copy(out, 0);
      out.writeBigInt64BE(BigInt(windowed.window.start), key.length);
      return out;
    },
    deserialize(bytes, topic) {
      if (bytes.length < 8) throw new RangeError('a time-windowed key has at least 8 bytes');
      const start = Number(bytes.readBigInt64BE(bytes.length - 8));
      return { key: inner.deserialize(bytes.subarray(0, bytes.length - 8), topic) as K, window: { start, end: start + sizeMs } };
    },
    toJSON: (windowed) => ({ key: inner.toJSON(windowed.key), window: windowed.window }),
  });
}

export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return Serdes.from<Windowed<K>>({
    name: `SessionWindowed<${inner.name}>`,
    serialize(windowed, topic) {
      const key = inner.serialize(windowed.key, topic) ?? Buffer.alloc(0);
      const out = Buffer.allocUnsafe(key.length + 16);
      key.copy(out, 0);
      out.writeBigInt64BE(BigInt(windowed.window.end), key.length);
      out.writeBigInt64BE(BigInt(windowed.window.start), key.length + 8);
      return out;
    },
    deserialize(bytes, topic) {
      if (bytes.length < 16) throw new RangeError('a session-windowed key has at least 16 bytes');
      const end = Number(bytes.readBigInt64BE(bytes.length - 16));
      const start = Number(bytes.readBigInt64BE(bytes.length - 8));
      return { key: inner.deserialize(bytes.subarray(0, bytes.length - 16), topic) as K, window: { start, end } };
    },
    toJSON: (windowed) => ({ key: inner.toJSON(windowed.key), window: windowed.window }),
  });
}
