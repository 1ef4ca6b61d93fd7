/**
 * A streams application against an embedded Brook (Brook.open): the topology built in this
 * thread, threads on the main thread. Real broker, real lmdb state, real changelog topics.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { KafkaStreams, StreamsBuilder, Serdes, TopologyError } from '../../src/streams/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../groups-e2e/helpers.js';

beforeAll(() => {
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function countsTopology() {
  const builder = new StreamsBuilder();
  builder.stream('logs').groupBy((_k, v) => v.split(' ')[0]!).count({ storeName: 'per-service' }).toStream().to('service-counts', { valueSerde: Serdes.Long() });
  return builder.build();
}

describe('KafkaStreams on an embedded Brook', () => {
  it('counts per service through a repartition topic, answers queries, and restarts from its checkpoint without replaying the changelog', async () => {
    const brook = await Brook.open({ dataDir: tempDir('brook-streams-embedded-'), handleSignals: false });
    cleanups.push(() => brook.close());
    await brook.admin.createTopic('logs', { partitions: 3 });
    const producer = brook.producer();
    const services = ['web', 'db', 'cache'];
    await producer.sendBatch(Array.from({ length: 300 }, (_, i) => ({ topic: 'logs', key: `host-${i % 7}`, value: `${services[i % 3]} line ${i}` })));
    const stateDir = tempDir('brook-streams-state-');
    const config = { applicationId: 'counts', stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, numStreamThreads: 2, log: () => undefined };
    let app = new KafkaStreams(countsTopology(), brook, config);
    cleanups.push(() => app.close());
    await app.start();
    await app.untilRunning();
    const store = () => app.store('per-service');
    await waitFor('all 300 lines counted', async () => (await store().get('web')) === 100 && (await store().get('db')) === 100 && (await store().get('cache')) === 100);
    expect((await store().all()).map((e) => [e.key, e.value])).toEqual([['cache', 100], ['db', 100], ['web', 100]]);
    const status = await app.status();
    expect(status.totals.tasks).toBe(6); // 2 sub-topologies x 3 partitions
    await app.close();

    // The output topic has every count update; its last per service is the total.
    const last = new Map<string, number>();
    for await (const r of brook.consumer({ topic: 'service-counts', from: 'beginning', follow: false })) last.set(r.key!.toString(), Number(r.value!.readBigInt64BE()));
    expect(Object.fromEntries(last)).toEqual({ web: 100, db: 100, cache: 100 });

    // Restart: the checkpoint says the stores hold the whole changelog, so nothing is restored.
    await producer.sendBatch(Array.from({ length: 30 }, (_, i) => ({ topic: 'logs', value: `web extra ${i}` })));
    app = new KafkaStreams(countsTopology(), brook, config);
    await app.start();
    await app.untilRunning();
    await waitFor('the 30 new lines counted', async () => (await app.store('per-service').get('web')) === 130);
    const restarted = await app.status();
    const restored = restarted.threads.flatMap((t) => t.tasks).reduce((sum, t) => sum + t.restore.totalRecords, 0);
    expect(restored).toBe(0);
    expect(await app.store('per-service').get('db')).toBe(100);
    await app.close();

    // A new state dir (a task moved to another machine): the state comes back from the changelog.
    app = new KafkaStreams(countsTopology(), brook, { ...config, stateDir: tempDir('brook-streams-state-') });
    await app.start();
    await app.untilRunning();
    await waitFor('restored from the changelog', async () => (await app.status()).threads.flatMap((t) => t.tasks).every((t) => t.state === 'running'));
    const fresh = (await app.status()).threads.flatMap((t) => t.tasks);
    expect(fresh.reduce((sum, t) => sum + t.restore.restoredRecords, 0)).toBeGreaterThan(0);
    expect((await app.store('per-service').all()).map((e) => [e.key, e.value])).toEqual([['cache', 100], ['db', 100], ['web', 130]]);
    // A range across the three tasks' stores, merged in key order; either bound may be open.
    expect((await app.store('per-service').range('d', null)).map((e) => [e.key, e.value])).toEqual([['db', 100], ['web', 130]]);
    expect((await app.store('per-service').range(null, 'db')).map((e) => e.key)).toEqual(['cache', 'db']);
  });

  it('runs co-partitioned join inputs in one task per partition, and refuses inputs with different partition counts', async () => {
    const brook = await Brook.open({ dataDir: tempDir('brook-streams-embedded-'), handleSignals: false });
    cleanups.push(() => brook.close());
    await brook.admin.createTopic('hosts', { partitions: 2 });
    await brook.admin.createTopic('alerts', { partitions: 2 });
    await brook.admin.createTopic('other', { partitions: 3 });
    const producer = brook.producer();
    await producer.sendBatch(['web-1', 'web-2', 'db-1', 'db-2'].map((host, i) => ({ topic: 'hosts', key: host, value: `rack-${i}`, timestamp: 1000 + i })));
    const seen: string[] = [];
    const joinTopology = (table: string) => {
      const builder = new StreamsBuilder();
      const hosts = builder.table(table, {}, { storeName: 'hosts' });
      builder.stream('alerts').leftJoin(hosts, (alert, rack) => `${alert} on ${rack ?? 'no rack'}`).foreach((host, text) => seen.push(`${host}: ${text}`));
      return builder.build();
    };
    const config = { applicationId: 'racks', stateDir: tempDir('brook-streams-state-'), commitIntervalMs: 200, numStreamThreads: 1, log: () => undefined };
    const app = new KafkaStreams(joinTopology('hosts'), brook, config);
    cleanups.push(() => app.close());
    await app.start();
    await app.untilRunning();
    await waitFor('the table to hold every host', async () => (await app.store('hosts').all()).length === 4);
    await producer.sendBatch(['web-1', 'db-2', 'cache-9', 'web-2'].map((host, i) => ({ topic: 'alerts', key: host, value: `disk ${i}`, timestamp: 2000 + i })));
    await waitFor('every alert joined', () => seen.length === 4);
    expect(seen.sort()).toEqual(['cache-9: disk 2 on no rack', 'db-2: disk 1 on rack-3', 'web-1: disk 0 on rack-0', 'web-2: disk 3 on rack-1']);
    const tasks = (await app.status()).threads.flatMap((t) => t.tasks);
    expect(tasks.map((t) => [t.taskId, t.partitions.map((p) => `${p.topic}-${p.partition}`).sort()])).toEqual([
      ['0_0', ['alerts-0', 'hosts-0']],
      ['0_1', ['alerts-1', 'hosts-1']],
    ]);
    await app.close();

    const refused = await new KafkaStreams(joinTopology('other'), brook, { ...config, applicationId: 'racks-3' }).start().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TopologyError);
    expect((refused as Error).message).toMatch(/a join needs co-partitioned inputs, but these topics have different partition counts: other \(3\), alerts \(2\)$/);
  });
});
