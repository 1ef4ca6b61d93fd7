/**
 * The lmdb-backed stores on their own: window stores keep windows in time segments and drop whole
 * segments past retention; what a commit wrote is there after the store is reopened; a key over
 * lmdb's limit gets a precise error.
 */
import { describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/streams/state/local-store.js';
import { TimeKeyedStore } from '../../src/streams/state/time-keyed-store.js';
import { KeyValueStore } from '../../src/streams/state/kv-store.js';
import type { StoreContext, StoreDef } from '../../src/streams/state/store.js';
import { Serdes, StateStoreError } from '../../src/streams/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const MINUTE = 60_000;

function context(local: LocalStore, changelog: unknown[]): StoreContext {
  return { local, changelogTopic: 'app-store-changelog', partition: 0, sendChangelog: (records) => changelog.push(...records), bufferedEntriesMax: 1000, requestCommit: () => undefined };
}

const windowDef: StoreDef = { name: 'w', kind: 'window', keySerde: Serdes.String() as never, valueSerde: Serdes.Long() as never, logging: true, caching: false, queryable: true, retentionMs: 2 * MINUTE, windowSizeMs: MINUTE };

async function commit(local: LocalStore, store: { flush(): void; takeWrites(): never[] | unknown[]; committed(): void }): Promise<void> {
  store.flush();
  await local.write(store.takeWrites() as never);
  store.committed();
}

describe('window store', () => {
  it('drops whole time segments once stream time passes their windows plus retention, and keeps the rest across a reopen', async () => {
    const dir = tempDir('brook-store-');
    let local = new LocalStore(dir);
    const changelog: unknown[] = [];
    let store = new TimeKeyedStore(windowDef, context(local, changelog));
    for (let minute = 0; minute < 6; minute++) store.put('k', minute * MINUTE, minute + 1, minute * MINUTE);
    await commit(local, store);
    expect(changelog).toHaveLength(6);
    expect(store.fetch('k', 0, 10 * MINUTE).map((e) => e.value)).toEqual([1, 2, 3, 4, 5, 6]);
    // Retention 2 min, segments of 60 s: at stream time 5 min, windows starting before 3 min go.
    await local.write(store.expire(5 * MINUTE));
    store.committed();
    expect(store.fetch('k', 0, 10 * MINUTE).map((e) => e.time / MINUTE)).toEqual([3, 4, 5]);
    await local.close();
    local = new LocalStore(dir);
    store = new TimeKeyedStore(windowDef, context(local, changelog));
    expect(store.fetch('k', 0, 10 * MINUTE).map((e) => e.time / MINUTE)).toEqual([3, 4, 5]);
    expect(store.fetchAll(4 * MINUTE, 5 * MINUTE).map((e) => [e.key, e.value])).toEqual([['k', 5], ['k', 6]]);
    await local.close();
  });

  it('answers what was put but not yet committed, and a deleted window is gone before the commit', async () => {
    const local = new LocalStore(tempDir('brook-store-'));
    const store = new TimeKeyedStore(windowDef, context(local, []));
    store.put('a', 0, 1, 0);
    await commit(local, store);
    store.put('a', MINUTE, 2, MINUTE);
    store.remove('a', 0);
    expect(store.fetch('a', 0, 2 * MINUTE).map((e) => e.value)).toEqual([2]);
    await local.close();
  });
});

describe('key-value store', () => {
  it('keeps committed values across a reopen and refuses a key over the lmdb limit with a precise error', async () => {
    const dir = tempDir('brook-store-');
    let local = new LocalStore(dir);
    const def: StoreDef = { name: 'kv', kind: 'keyValue', keySerde: Serdes.String() as never, valueSerde: Serdes.JSON() as never, logging: true, caching: false, queryable: true };
    let store = new KeyValueStore(def, context(local, []));
    store.put('b', { n: 2 }, 5);
    store.put('a', { n: 1 }, 6);
    await commit(local, store);
    await local.close();
    local = new LocalStore(dir);
    store = new KeyValueStore(def, context(local, []));
    expect(store.all().map((e) => [e.key, e.value, e.timestamp])).toEqual([['a', { n: 1 }, 6], ['b', { n: 2 }, 5]]);
    expect(() => store.put('x'.repeat(3000), 1, 1)).toThrow(StateStoreError);
    expect(() => store.put('x'.repeat(3000), 1, 1)).toThrow(/over the 1978-byte limit/);
    await local.close();
  });
});
