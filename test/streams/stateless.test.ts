/**
 * Stateless operators through the TopologyTestDriver, each against results worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes } from '../../src/streams/index.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();

describe('stateless operators', () => {
  it('filter, filterNot, map, mapValues, flatMap, flatMapValues, selectKey and peek transform records one by one', () => {
    const builder = new StreamsBuilder();
    const seen: string[] = [];
    const input = builder.stream('in');
    input.filter((_k, v) => v.startsWith('keep')).mapValues((v) => v.toUpperCase()).to('filtered');
    input.filterNot((_k, v) => v.startsWith('keep')).map((k, v) => [v, k]).to('swapped');
    input.flatMapValues((v) => v.split(' ')).to('words');
    input.flatMap((k, v) => [[`${k}-a`, v], [`${k}-b`, v]]).to('doubled');
    input.selectKey((_k, v) => v.length.toString()).peek((k, v) => seen.push(`${k}:${v}`)).to('by-length');
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('in', S, S);
    pipe.pipeInput('k1', 'keep me', 10);
    pipe.pipeInput('k2', 'drop me', 20);
    pipe.pipeInput('k3', 'keep', 30);
    expect(driver.createOutputTopic('filtered', S, S).readRecordsToList()).toEqual([
      { key: 'k1', value: 'KEEP ME', timestamp: 10 },
      { key: 'k3', value: 'KEEP', timestamp: 30 },
    ]);
    expect(driver.createOutputTopic('swapped', S, S).readKeyValuesToList()).toEqual([['drop me', 'k2']]);
    expect(driver.createOutputTopic('words', S, S).readKeyValuesToList()).toEqual([['k1', 'keep'], ['k1', 'me'], ['k2', 'drop'], ['k2', 'me'], ['k3', 'keep']]);
    expect(driver.createOutputTopic('doubled', S, S).readKeyValuesToList()).toEqual([
      ['k1-a', 'keep me'], ['k1-b', 'keep me'], ['k2-a', 'drop me'], ['k2-b', 'drop me'], ['k3-a', 'keep'], ['k3-b', 'keep'],
    ]);
    expect(seen).toEqual(['7:keep me', '7:drop me', '4:keep']);
    expect(driver.createOutputTopic('by-length', S, S).readKeyValuesToList()).toEqual([['7', 'keep me'], ['7', 'drop me'], ['4', 'keep']]);
  });

  it('split sends each record to the first matching branch, the rest to the default branch; merge joins streams again', () => {
    const builder = new StreamsBuilder();
    const branches = builder.stream('logs').split({ name: 'level-' })
      .branch((_k, v) => v.startsWith('ERROR'), { name: 'error' })
      .branch((_k, v) => v.startsWith('WARN') || v.startsWith('ERROR'), { name: 'warn' })
      .defaultBranch({ name: 'other' });
    expect(Object.keys(branches).sort()).toEqual(['level-error', 'level-other', 'level-warn']);
    branches['level-error']!.to('errors');
    branches['level-warn']!.to('warnings');
    branches['level-other']!.to('others');
    branches['level-error']!.merge(branches['level-warn']!).mapValues((v) => `alert: ${v}`).to('alerts');
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('logs', S, S);
    for (const line of ['INFO a', 'ERROR b', 'WARN c', 'DEBUG d', 'ERROR e']) pipe.pipeInput('svc', line, 1);
    expect(driver.createOutputTopic('errors', S, S).readKeyValuesToList().map(([, v]) => v)).toEqual(['ERROR b', 'ERROR e']);
    expect(driver.createOutputTopic('warnings', S, S).readKeyValuesToList().map(([, v]) => v)).toEqual(['WARN c']);
    expect(driver.createOutputTopic('others', S, S).readKeyValuesToList().map(([, v]) => v)).toEqual(['INFO a', 'DEBUG d']);
    expect(driver.createOutputTopic('alerts', S, S).readKeyValuesToList().map(([, v]) => v)).toEqual(['alert: ERROR b', 'alert: WARN c', 'alert: ERROR e']);
  });

  it('branch(...predicates) returns one stream per predicate and drops records no predicate takes', () => {
    const builder = new StreamsBuilder();
    const [small, large] = builder.stream('n', { valueSerde: Serdes.JSON<number>() }).branch((_k, v) => v < 10, (_k, v) => v >= 100);
    small!.to('small');
    large!.to('large');
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('n', S, Serdes.JSON<number>());
    for (const n of [1, 50, 500, 9]) pipe.pipeInput('k', n, 1);
    expect(driver.createOutputTopic('small', S, Serdes.JSON<number>()).readKeyValuesToList().map(([, v]) => v)).toEqual([1, 9]);
    expect(driver.createOutputTopic('large', S, Serdes.JSON<number>()).readKeyValuesToList().map(([, v]) => v)).toEqual([500]);
  });

  it('JSON, Bytes, Long and user serdes round-trip; to() uses the serdes it is given', () => {
    const builder = new StreamsBuilder();
    const upper = Serdes.from<string>({ serialize: (v) => Buffer.from(v.toUpperCase()), deserialize: (b) => b.toString().toLowerCase() });
    builder.stream('events', { valueSerde: Serdes.JSON<{ n: number }>() })
      .mapValues((v) => v.n * 2)
      .to('doubled', { valueSerde: Serdes.Long() });
    builder.stream('raw', { valueSerde: Serdes.Bytes() }).mapValues((b) => b.toString('hex')).to('hex');
    builder.stream('custom', { valueSerde: upper }).to('custom-out', { valueSerde: upper });
    const driver = driverFor(builder.build());
    driver.createInputTopic('events', S, Serdes.JSON<{ n: number }>()).pipeInput('a', { n: 21 }, 5);
    driver.createInputTopic('raw', S, Serdes.Bytes()).pipeInput('b', Buffer.from([1, 255]), 5);
    driver.createInputTopic('custom', S, Serdes.String()).pipeInput('c', 'MiXeD', 5);
    const doubled = driver.capturedRecords('doubled');
    expect(doubled[0]!.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 42])); // Kafka's 8-byte Long
    expect(driver.createOutputTopic('hex', S, S).readKeyValuesToList()).toEqual([['b', '01ff']]);
    expect(driver.capturedRecords('custom-out')[0]!.value!.toString()).toBe('MIXED');
  });

  it('a value the String serde cannot serialize fails with an error naming the serde and topic', () => {
    const builder = new StreamsBuilder();
    builder.stream('in').mapValues((v) => v.length).to('out');
    const driver = driverFor(builder.build());
    expect(() => driver.createInputTopic('in', S, S).pipeInput('k', 'abc', 1)).toThrow(/String serde cannot serialize a number for topic 'out'/);
  });
});
