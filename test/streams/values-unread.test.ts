/**
 * A source whose values only a count looks at skips decoding them (deserialize.ts valuesUnread):
 * which topologies qualify, and that counts, null values and dropped records come out the same.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes, TimeWindows, type Windowed } from '../../src/streams/index.js';
import { valuesUnread } from '../../src/streams/runtime/deserialize.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();
const J = Serdes.JSON<unknown>();
const N = Serdes.JSON<number>();

/** valuesUnread of every source, per sub-topology. */
function unread(build: (b: StreamsBuilder) => void): boolean[][] {
  const builder = new StreamsBuilder();
  build(builder);
  const topology = builder.build();
  return topology.subtopologies.map((s) => topology.sourcesOf(s.id).map(valuesUnread));
}

describe('values a count never reads', () => {
  it('are left undecoded only where nothing else can see them', () => {
    expect(unread((b) => b.stream('in').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count())).toEqual([[true]]);
    expect(unread((b) => b.stream('in').groupByKey().count())).toEqual([[true]]);
    expect(unread((b) => {
      const s = b.stream('in');
      s.peek(() => undefined); // a second child reads values
      s.groupByKey().count();
    })).toEqual([[false]]);
    expect(unread((b) => b.stream('in').groupByKey().reduce((_a, v) => v))).toEqual([[false]]);
    // groupBy reads the value to pick the key; the count behind the repartition topic does not.
    expect(unread((b) => b.stream('in').groupBy((_k, v) => v).count())).toEqual([[false], [true]]);
    // A serde that can fail must run, so its failures reach the deserialization handler.
    expect(unread((b) => b.stream('in', { valueSerde: J }).groupByKey().count())).toEqual([[false]]);
    expect(unread((b) => b.stream('in', { timestampExtractor: (r) => r.timestamp }).groupByKey().count())).toEqual([[false]]);
  });

  it('count the same: null values dropped, every other record counted per key and window', () => {
    const builder = new StreamsBuilder();
    builder.stream('events').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ cachingEnabled: false })
      .toStream().map((k: Windowed<string>, v) => [`${k.key}@${k.window.start}`, v]).to('out', { keySerde: S, valueSerde: N });
    const driver = driverFor(builder.build());
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', null, 2); // dropped: a count skips null values
    input.pipeInput('b', '', 3); // an empty value is a value
    input.pipeInput('a', 'y', 4);
    input.pipeInput('a', 'z', 12);
    const out = driver.createOutputTopic('out', S, N).readRecordsToList().map((r) => [r.key, r.value]);
    expect(out).toEqual([['a@0', 1], ['b@0', 1], ['a@0', 2], ['a@10', 1]]);
    expect(driver.droppedRecords()).toBe(1);
  });
});
