/**
 * One topology module, run with worker threads (numStreamThreads: 2), against an embedded Brook
 * and against a `brook serve` process through NetworkBackend: the same results either way.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { KafkaStreams } from '../../src/streams/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { start } from '../helpers/server-process.js';
import { waitFor } from '../groups-e2e/helpers.js';

const MODULE = path.resolve(import.meta.dirname, 'fixtures/counting-app.js');
const KEYS = 12;
const PER_KEY = 50;

beforeAll(() => {
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const backends = {
  'an embedded Brook': async () => {
    const brook = await Brook.open({ dataDir: tempDir('brook-streams-backends-'), handleSignals: false });
    cleanups.push(() => brook.close());
    return brook;
  },
  'brook serve': async () => {
    const server = await start({ env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
    cleanups.push(() => server.stop());
    const brook = new Brook(await NetworkBackend.connect(server.address));
    cleanups.push(() => brook.close());
    return brook;
  },
};

describe.each(Object.keys(backends))('a topology module with worker threads against %s', (name) => {
  it('counts every record per key, keeps the distinct ids, and writes every update to the output topic', async () => {
    const brook = await backends[name as keyof typeof backends]();
    await brook.admin.createTopic('events', { partitions: 4 });
    const producer = brook.producer();
    await producer.sendBatch(Array.from({ length: KEYS * PER_KEY }, (_, i) => ({ topic: 'events', key: `k${i % KEYS}`, value: `id-${String(i).padStart(5, '0')}` })));
    await producer.close();
    const app = new KafkaStreams(MODULE, brook, { applicationId: 'counting-app', stateDir: tempDir('brook-streams-state-'), numStreamThreads: 2, log: () => undefined });
    cleanups.push(() => app.close());
    await app.start();
    await app.untilRunning();
    await waitFor('every key counted', async () => (await app.store('counts').all()).every((e) => e.value === PER_KEY) && (await app.store('counts').all()).length === KEYS);
    const status = await app.status();
    expect(status.threads).toHaveLength(2);
    expect(status.threads.every((t) => t.tasks.length === 2)).toBe(true); // 4 tasks sharded over 2 worker threads
    const ids = await app.store('ids').get('k3');
    expect(ids).toEqual(Array.from({ length: PER_KEY }, (_, j) => `id-${String(3 + j * KEYS).padStart(5, '0')}`));
    await app.close();
    const last = new Map<string, number>();
    let updates = 0;
    for await (const r of brook.consumer({ topic: 'counts-out', from: 'beginning', follow: false })) {
      last.set(r.key!.toString(), Number(r.value!.readBigInt64BE()));
      updates++;
    }
    expect(last.size).toBe(KEYS);
    expect([...last.values()].every((n) => n === PER_KEY)).toBe(true);
    expect(updates).toBeGreaterThanOrEqual(KEYS);
  });
});
