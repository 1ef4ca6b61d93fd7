/**
 * Windowed aggregations by event time through the TopologyTestDriver: tumbling and hopping time
 * windows, sliding windows, session windows, out-of-order records within and past the grace
 * period, and emit-final (suppress until the window closes). Every expected value is worked out
 * by hand next to it.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes, Suppressed, TimeWindows, SlidingWindows, SessionWindows, type Windowed } from '../../src/streams/index.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();
const J = Serdes.JSON<unknown>();

/** Windowed results as [key, start, end, value, timestamp] rows. */
function rows(builderOut: (b: StreamsBuilder) => void, input: Array<[string, number]>, config: { autoCommit?: boolean } = {}) {
  const builder = new StreamsBuilder();
  builderOut(builder);
  const driver = driverFor(builder.build(), config);
  const pipe = driver.createInputTopic('events', S, S);
  for (const [key, t] of input) pipe.pipeInput(key, 'x', t);
  const out = driver.createOutputTopic('out', J, J).readRecordsToList();
  return { driver, rows: out.map((r) => { const k = r.key as { key: string; window: { start: number; end: number } }; return [k.key, k.window.start, k.window.end, r.value, r.timestamp]; }) };
}

/** Windowed keys go out as JSON so the tests can read them. */
const toOut = (table: { toStream(): { map(f: (k: Windowed<string>, v: unknown) => [unknown, unknown]): { to(t: string, p: object): void } } }) =>
  table.toStream().map((k, v) => [k, v]).to('out', { keySerde: J, valueSerde: J });

describe('time windows', () => {
  it('tumbling: out-of-order records within the grace period count; past it they are dropped', () => {
    const { driver, rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count({ cachingEnabled: false }) as never),
      // t=3 arrives after t=12: stream time 12, close time 12-5=7, window [0,10) ends at 10 > 7: counted.
      // t=4 arrives after t=16: close time 11, window [0,10) ends at 10 <= 11: dropped.
      [['k', 1], ['k', 12], ['k', 3], ['k', 16], ['k', 4], ['k', 25]],
    );
    expect(out).toEqual([
      ['k', 0, 10, 1, 1], ['k', 10, 20, 1, 12], ['k', 0, 10, 2, 3], ['k', 10, 20, 2, 16], ['k', 20, 30, 1, 25],
    ]);
    expect(driver.droppedRecords()).toBe(1);
  });

  it('hopping: a record updates every window that holds it (size 10, advance 5)', () => {
    const { driver, rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).count({ cachingEnabled: false }) as never),
      // t=7 is in [0,10) and [5,15); t=12 in [5,15) and [10,20); t=3 (only [0,10), closed at stream time 12) is dropped
      [['k', 7], ['k', 12], ['k', 3]],
    );
    expect(out).toEqual([['k', 0, 10, 1, 7], ['k', 5, 15, 1, 7], ['k', 5, 15, 2, 12], ['k', 10, 20, 1, 12]]);
    expect(driver.droppedRecords()).toBe(1);
  });

  it('emit final: suppress(untilWindowCloses) forwards each window once, after stream time passes end + grace', () => {
    const { rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 2)).count().suppress(Suppressed.untilWindowCloses()) as never),
      // [0,10) closes at 10 + 2 = 12: nothing at t=11, both keys' finals once t=12 is seen; c at 30 closes [10,20) (a:1).
      [['a', 1], ['a', 2], ['b', 5], ['a', 11], ['b', 9], ['a', 12], ['c', 30]],
    );
    expect(out).toEqual([['a', 0, 10, 2, 2], ['b', 0, 10, 2, 9], ['a', 10, 20, 2, 12]]);
  });
});

describe('sliding windows', () => {
  it('creates left and right windows where records are, as Kafka does, and drops updates of closed windows', () => {
    const { driver, rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count({ cachingEnabled: false }) as never),
      [['k', 5], ['k', 12], ['k', 8]],
    );
    expect(out).toEqual([
      ['k', 0, 10, 1, 5], // t=5 (< 10): the shared early window [0,10]
      ['k', 6, 16, 1, 12], // t=12: right window of 5, holding only 12
      ['k', 2, 12, 2, 12], // t=12: its left window [2,12] = {5, 12}
      ['k', 2, 12, 3, 12], // t=8: [2,12] = {5, 8, 12}
      ['k', 6, 16, 2, 12], // [6,16] = {8, 12}
      ['k', 9, 19, 1, 12], // right window of 8: {12}
      // [0,10] would become {5, 8} but ended at 10 < stream time 12: dropped
    ]);
    expect(driver.droppedRecords()).toBe(1);
  });
});

describe('session windows', () => {
  it('merges sessions within the inactivity gap, deletes the merged ones, and drops a record whose session is closed', () => {
    const { driver, rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).count({ cachingEnabled: false }) as never),
      // 1 -> [1,1]; 4 merges into [1,4]; 20 -> [20,20]; 12 would be [12,12], ended before stream time 20: dropped;
      // 17 merges with [20,20] into [17,20] (ends at 20, not before stream time 20: open)
      [['u', 1], ['u', 4], ['u', 20], ['u', 12], ['u', 17]],
    );
    expect(out).toEqual([
      ['u', 1, 1, 1, 1], ['u', 1, 1, null, 1], ['u', 1, 4, 2, 4], ['u', 20, 20, 1, 20], ['u', 20, 20, null, 20], ['u', 17, 20, 2, 20],
    ]);
    expect(driver.droppedRecords()).toBe(1);
  });

  it('aggregate merges sessions with the merger, starting from the initializer', () => {
    const { rows: out } = rows(
      (b) => toOut(b.stream('events').groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 100))
        .aggregate(() => '', (_k, _v, agg) => `${agg}x`, (_k, a, b2) => `${a}|${b2}`, { cachingEnabled: false }) as never),
      // 0 -> [0,0] "x"; 18 -> [18,18] "x" (18 - 0 > gap 10); 9 is within 10 of both: merged "" | "x" | "x", then + "x"
      [['u', 0], ['u', 18], ['u', 9]],
    );
    expect(out.filter((r) => r[3] !== null)).toEqual([['u', 0, 0, 'x', 0], ['u', 18, 18, 'x', 18], ['u', 0, 18, '|x|xx', 18]]);
  });
});
