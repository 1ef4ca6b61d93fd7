/**
 * Joins through the TopologyTestDriver: stream-table (inner, left), table-table (inner, left,
 * outer) and windowed stream-stream (inner, left, outer, with late records), each against results
 * worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes, JoinWindows } from '../../src/streams/index.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();

describe('stream-table joins', () => {
  it('inner joins only records whose key is in the table; left joins the rest with null', () => {
    const builder = new StreamsBuilder();
    const users = builder.table('users', {}, { storeName: 'users', cachingEnabled: false });
    const clicks = builder.stream('clicks');
    clicks.join(users, (page, name) => `${page} by ${name}`).to('inner');
    clicks.leftJoin(users, (page, name) => `${page} by ${name ?? 'unknown'}`).to('left');
    const driver = driverFor(builder.build());
    const click = driver.createInputTopic('clicks', S, S);
    const user = driver.createInputTopic('users', S, S);
    click.pipeInput('u1', 'home', 1);
    user.pipeInput('u1', 'Ann', 2);
    click.pipeInput('u1', 'docs', 3);
    user.pipeInput('u1', null, 4);
    click.pipeInput('u1', 'exit', 5);
    expect(driver.createOutputTopic('inner', S, S).readKeyValuesToList()).toEqual([['u1', 'docs by Ann']]);
    expect(driver.createOutputTopic('left', S, S).readKeyValuesToList()).toEqual([['u1', 'home by unknown'], ['u1', 'docs by Ann'], ['u1', 'exit by unknown']]);
  });
});

describe('table-table joins', () => {
  it('recomputes the join on a change of either side; a deletion that ends a join emits a tombstone', () => {
    const builder = new StreamsBuilder();
    const a = builder.table('a', {}, { storeName: 'a', cachingEnabled: false });
    const b = builder.table('b', {}, { storeName: 'b', cachingEnabled: false });
    a.join(b, (l, r) => `${l}+${r}`).toStream().to('inner');
    a.leftJoin(b, (l, r) => `${l}+${r}`).toStream().to('left');
    a.outerJoin(b, (l, r) => `${l}+${r}`).toStream().to('outer');
    const driver = driverFor(builder.build());
    const left = driver.createInputTopic('a', S, S);
    const right = driver.createInputTopic('b', S, S);
    left.pipeInput('k', 'x', 1);
    right.pipeInput('k', 'y', 2);
    left.pipeInput('k', 'z', 3);
    right.pipeInput('k', null, 4);
    right.pipeInput('j', 'w', 5);
    const read = (topic: string) => driver.createOutputTopic(topic, S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]);
    expect(read('inner')).toEqual([['k', 'x+y', 2], ['k', 'z+y', 3], ['k', null, 4]]);
    expect(read('left')).toEqual([['k', 'x+null', 1], ['k', 'x+y', 2], ['k', 'z+y', 3], ['k', 'z+null', 4]]);
    expect(read('outer')).toEqual([['k', 'x+null', 1], ['k', 'x+y', 2], ['k', 'z+y', 3], ['k', 'z+null', 4], ['j', 'null+w', 5]]);
  });
});

describe('stream-stream joins', () => {
  function run(kind: 'join' | 'leftJoin' | 'outerJoin') {
    const builder = new StreamsBuilder();
    const orders = builder.stream('orders');
    const payments = builder.stream('payments');
    (orders[kind] as (o: typeof payments, j: (l: string | null, r: string | null) => string, w: JoinWindows) => typeof orders)(
      payments, (o, p) => `${o}/${p}`, JoinWindows.ofTimeDifferenceAndGrace(10, 0),
    ).to('out');
    const driver = driverFor(builder.build());
    const order = driver.createInputTopic('orders', S, S);
    const payment = driver.createInputTopic('payments', S, S);
    order.pipeInput('k', 'book', 100);
    payment.pipeInput('k', '20', 105); // within 10 of 100: joins
    payment.pipeInput('k', '5', 130); // no order in [120, 140]
    order.pipeInput('k', 'pen', 150); // no payment in [140, 160]
    // j@171 moves stream time to 171: payment@130 (130+10+10 < 171) and pen@150 (150+20 < 171) can no longer join
    order.pipeInput('j', 'cup', 171);
    order.pipeInput('k', 'late', 120); // 120 + 10 + 0 < 171: its window is closed, dropped
    return { out: driver.createOutputTopic('out', S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestamp]), driver };
  }

  it('inner joins records of both sides within the window, with the later timestamp', () => {
    const { out, driver } = run('join');
    expect(out).toEqual([['k', 'book/20', 105]]);
    expect(driver.droppedRecords()).toBe(1);
  });

  it('left join emits an unmatched left record with null only once no right record can join it', () => {
    expect(run('leftJoin').out).toEqual([['k', 'book/20', 105], ['k', 'pen/null', 150]]);
  });

  it('outer join also emits unmatched right records, each once, in time order', () => {
    expect(run('outerJoin').out).toEqual([['k', 'book/20', 105], ['k', 'null/5', 130], ['k', 'pen/null', 150]]);
  });
});
