/**
 * Grouping and aggregation through the TopologyTestDriver: count, reduce, aggregate, the
 * repartition topic a key change needs, caching (latest per key at commit) and the changelog
 * records a store writes. Expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes, type KeyValueStore } from '../../src/streams/index.js';
import { decodeStoredValue } from '../../src/streams/state/store-keys.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();
const L = Serdes.Long();

describe('aggregations', () => {
  it('groupBy counts per new key through a repartition topic and emits every update without caching', () => {
    const builder = new StreamsBuilder();
    builder.stream('lines').groupBy((_k, v) => v.split(' ')[0]!).count({ storeName: 'counts', cachingEnabled: false }).toStream().to('counts-out');
    const topology = builder.build();
    expect(topology.subtopologies.map((s) => s.sourceTopics)).toEqual([['lines'], ['counts-repartition']]);
    const driver = driverFor(topology);
    const pipe = driver.createInputTopic('lines', S, S);
    pipe.pipeInput('h1', 'web GET /', 1);
    pipe.pipeInput('h2', 'db slow', 2);
    pipe.pipeInput('h1', 'web POST /x', 3);
    // web:1, db:1, web:2 - one update per record, with the record's timestamp (max so far per key)
    expect(driver.createOutputTopic('counts-out', S, L).readRecordsToList()).toEqual([
      { key: 'web', value: 1, timestamp: 1 }, { key: 'db', value: 1, timestamp: 2 }, { key: 'web', value: 2, timestamp: 3 },
    ]);
    expect(driver.getStore<KeyValueStore>('counts').get('web')).toEqual({ value: 2, timestamp: 3 });
    expect(driver.capturedRecords('test-app-counts-repartition')).toEqual([]); // fed straight to the next task, not captured
    const changelog = driver.capturedRecords('test-app-counts-changelog').map((r) => [r.key!.toString(), L.deserialize(decodeStoredValue(r.value!).value)]);
    expect(changelog).toEqual([['web', 1], ['db', 1], ['web', 2]]);
  });

  it('with caching, a commit forwards only the latest value per key', async () => {
    const builder = new StreamsBuilder();
    builder.stream('clicks').groupByKey().count({ storeName: 'clicks-per-user' }).toStream().to('out');
    const driver = driverFor(builder.build(), { autoCommit: false });
    const pipe = driver.createInputTopic('clicks', S, S);
    for (const [user, t] of [['ann', 1], ['bob', 2], ['ann', 3], ['ann', 4]] as const) pipe.pipeInput(user, 'click', t);
    expect(driver.createOutputTopic('out', S, L).isEmpty()).toBe(true);
    await driver.commit();
    // ann became dirty first: ann:3 then bob:1, one record each
    expect(driver.createOutputTopic('out', S, L).readKeyValuesToList()).toEqual([['ann', 3], ['bob', 1]]);
    expect(driver.capturedRecords('test-app-clicks-per-user-changelog')).toHaveLength(2);
  });

  it('reduce combines values per key; aggregate folds from its initializer with its own serde', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream('temps', { valueSerde: Serdes.JSON<number>() }).groupByKey();
    grouped.reduce((a, b) => Math.max(a, b), { storeName: 'max', cachingEnabled: false }).toStream().to('max-out');
    grouped.aggregate(() => ({ sum: 0, n: 0 }), (_k, v, agg) => ({ sum: agg.sum + v, n: agg.n + 1 }), { storeName: 'avg', cachingEnabled: false })
      .mapValues((a) => a.sum / a.n).toStream().to('avg-out', { valueSerde: Serdes.JSON<number>() });
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('temps', S, Serdes.JSON<number>());
    for (const [room, v] of [['a', 20], ['a', 25], ['b', 10], ['a', 15]] as const) pipe.pipeInput(room, v, 1);
    expect(driver.createOutputTopic('max-out', S, Serdes.JSON<number>()).readKeyValuesToList()).toEqual([['a', 20], ['a', 25], ['b', 10], ['a', 25]]);
    expect(driver.createOutputTopic('avg-out', S, Serdes.JSON<number>()).readKeyValuesToList()).toEqual([['a', 20], ['a', 22.5], ['b', 10], ['a', 20]]);
  });

  it('records with a null key or value are skipped by aggregations and counted as dropped', () => {
    const builder = new StreamsBuilder();
    builder.stream('in').groupByKey().count({ storeName: 'c', cachingEnabled: false }).toStream().to('out');
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('in', S, S);
    pipe.pipeInput(null, 'v', 1);
    pipe.pipeInput('k', null, 2);
    pipe.pipeInput('k', 'v', 3);
    expect(driver.createOutputTopic('out', S, L).readKeyValuesToList()).toEqual([['k', 1]]);
    expect(driver.droppedRecords()).toBe(2);
  });

  it('a table from a topic keeps the latest value per key, deletes on null, and serves range queries in key order', async () => {
    const builder = new StreamsBuilder();
    builder.table('hosts', {}, { storeName: 'hosts' });
    const driver = driverFor(builder.build());
    const pipe = driver.createInputTopic('hosts', S, S);
    pipe.pipeInput('web-2', 'up', 1);
    pipe.pipeInput('web-1', 'down', 2);
    pipe.pipeInput('db-1', 'up', 3);
    pipe.pipeInput('web-1', 'up', 4);
    pipe.pipeInput('db-1', null, 5);
    await driver.commit();
    const store = driver.getStore<KeyValueStore>('hosts');
    expect(store.all().map((e) => [e.key, e.value])).toEqual([['web-1', 'up'], ['web-2', 'up']]);
    expect(store.range('web-1', 'web-1').map((e) => e.key)).toEqual(['web-1']);
    expect(store.get('db-1')).toBeNull();
  });
});
