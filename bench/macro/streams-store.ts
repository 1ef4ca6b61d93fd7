/**
 * Which embedded store backs Brook Streams' local state: the measurement behind the choice
 * (docs/streams.md, "Why lmdb"). The workload is the one a stream task puts on its store:
 *   - commit: a batch of dirty entries written at each commit (keys ~20 B, values 8 B)
 *   - get: point reads of keys not in the task's in-memory buffer (random, all present)
 *   - range: an ordered scan (interactive queries, window fetches)
 *   - restore: a changelog replayed into an empty store in large batches
 *   - open: a store of N keys opened and ready to answer (a clean restart with a checkpoint)
 * Candidates: lmdb (npm `lmdb`, synchronous reads), classic-level (LevelDB, async API; measured
 * only when installed: `npm install --no-save classic-level`), and an in-memory Map persisted as
 * an append-only file (a Bitcask-style log of Brook's own; state must fit in memory and every
 * open re-reads the file).
 * Run: `node dist/bench/macro/streams-store.js [keyCount]` (default 1,000,000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { open as openLmdb } from 'lmdb';
import { describeMachine, machineInfo, median } from '../../src/bench-lib/stats.js';

interface Candidate {
  name: string;
  /** Writes the entries in one batch and waits until they are durable in the store. */
  writeBatch(entries: Array<[Buffer, Buffer]>): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined> | Buffer | undefined;
  /** Counts the entries of [start, end) in key order. */
  range(start: Buffer, end: Buffer): Promise<number>;
  close(): Promise<void>;
}

type Factory = (dir: string) => Promise<Candidate>;

function key(i: number): Buffer {
  return Buffer.from(`service-${String(i).padStart(10, '0')}`);
}

function value(i: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(i));
  return b;
}

/** `durable`: every commit fsyncs (lmdb's default); otherwise the fsync overlaps the next commit (overlappingSync). */
const lmdbFactory = (durable: boolean): Factory => async (dir) => {
  const db = openLmdb({ path: dir, encoding: 'binary', keyEncoding: 'binary', compression: false, overlappingSync: !durable });
  return {
    name: durable ? 'lmdb (sync)' : 'lmdb (overlapping)',
    async writeBatch(entries) {
      // In key order, as Brook's LocalStore writes (one pass over the B-tree's pages).
      entries.sort((a, b) => Buffer.compare(a[0], b[0]));
      await db.transaction(() => {
        for (const [k, v] of entries) db.put(k, v);
      });
    },
    get: (k) => db.get(k) as Buffer | undefined,
    async range(start, end) {
      let count = 0;
      for (const _ of db.getRange({ start, end })) count++;
      return count;
    },
    close: () => db.close(),
  };
};

const levelFactory: Factory | null = await (async () => {
  let mod: { ClassicLevel: new (dir: string, o: object) => any };
  try {
    mod = (await import('classic-level' as string)) as typeof mod;
  } catch {
    return null;
  }
  return async (dir: string): Promise<Candidate> => {
    const db = new mod.ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return {
      name: 'classic-level',
      writeBatch: (entries) => db.batch(entries.map(([k, v]) => ({ type: 'put', key: k, value: v }))),
      get: async (k) => {
        try {
          return (await db.get(k)) ?? undefined;
        } catch {
          return undefined;
        }
      },
      async range(start, end) {
        let count = 0;
        for await (const _ of db.keys({ gte: start, lt: end })) count++;
        return count;
      },
      close: () => db.close(),
    };
  };
})();

/** A Map in memory, persisted as appended [keyLen u32][valueLen u32][key][value] records. */
const logFactory: Factory = async (dir) => {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'state.log');
  const map = new Map<string, Buffer>();
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    for (let pos = 0; pos + 8 <= bytes.length; ) {
      const keyBytes = bytes.readUInt32BE(pos);
      const valueBytes = bytes.readUInt32BE(pos + 4);
      const k = bytes.toString('latin1', pos + 8, pos + 8 + keyBytes);
      map.set(k, bytes.subarray(pos + 8 + keyBytes, pos + 8 + keyBytes + valueBytes));
      pos += 8 + keyBytes + valueBytes;
    }
  }
  const fd = fs.openSync(file, 'a');
  return {
    name: 'map + append log',
    async writeBatch(entries) {
      let size = 0;
      for (const [k, v] of entries) size += 8 + k.length + v.length;
      const out = Buffer.allocUnsafe(size);
      let pos = 0;
      for (const [k, v] of entries) {
        out.writeUInt32BE(k.length, pos);
        out.writeUInt32BE(v.length, pos + 4);
        k.copy(out, pos + 8);
        v.copy(out, pos + 8 + k.length);
        pos += 8 + k.length + v.length;
        map.set(k.toString('latin1'), v);
      }
      fs.writeSync(fd, out);
      fs.fdatasyncSync(fd);
    },
    get: (k) => map.get(k.toString('latin1')),
    async range(start, end) {
      // A Map has no order: a range sorts the keys (what an ordered store gives for free).
      const lo = start.toString('latin1');
      const hi = end.toString('latin1');
      return [...map.keys()].filter((k) => k >= lo && k < hi).sort().length;
    },
    close: async () => fs.closeSync(fd),
  };
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).size;
  return total;
}

export interface StoreResult {
  name: string;
  restoreEntriesPerSec: number;
  commitEntriesPerSec: number;
  getsPerSec: number;
  rangeEntriesPerSec: number;
  openMs: number;
  diskBytes: number;
}

async function measure(factory: Factory, keyCount: number): Promise<StoreResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-store-bench-'));
  try {
    let store = await factory(dir);
    // restore: the whole key space in batches of 50,000 (a changelog replay)
    let start = performance.now();
    for (let base = 0; base < keyCount; base += 50_000) {
      const entries: Array<[Buffer, Buffer]> = [];
      for (let i = base; i < Math.min(base + 50_000, keyCount); i++) entries.push([key(i), value(i)]);
      await store.writeBatch(entries);
    }
    const restoreEntriesPerSec = keyCount / ((performance.now() - start) / 1000);
    // commit: 20 batches of 10,000 updates to random existing keys
    const commitRates: number[] = [];
    for (let round = 0; round < 20; round++) {
      const entries: Array<[Buffer, Buffer]> = [];
      for (let i = 0; i < 10_000; i++) {
        const k = Math.floor(Math.random() * keyCount);
        entries.push([key(k), value(k + round)]);
      }
      start = performance.now();
      await store.writeBatch(entries);
      commitRates.push(10_000 / ((performance.now() - start) / 1000));
    }
    // get: 200,000 random point reads, in rounds of 20,000
    const getRates: number[] = [];
    for (let round = 0; round < 10; round++) {
      const keys = Array.from({ length: 20_000 }, () => key(Math.floor(Math.random() * keyCount)));
      start = performance.now();
      for (const k of keys) {
        const got = store.get(k);
        if ((got instanceof Promise ? await got : got) === undefined) throw new Error('missing key');
      }
      getRates.push(20_000 / ((performance.now() - start) / 1000));
    }
    // range: 5 scans of 10,000 consecutive keys
    const rangeRates: number[] = [];
    for (let round = 0; round < 5; round++) {
      const from = Math.floor(Math.random() * (keyCount - 10_000));
      start = performance.now();
      const counted = await store.range(key(from), key(from + 10_000));
      if (counted !== 10_000) throw new Error(`range counted ${counted}`);
      rangeRates.push(10_000 / ((performance.now() - start) / 1000));
    }
    await store.close();
    const diskBytes = dirBytes(dir);
    start = performance.now();
    store = await factory(dir);
    const probe = store.get(key(keyCount - 1));
    if ((probe instanceof Promise ? await probe : probe) === undefined) throw new Error('reopened store lost a key');
    const openMs = performance.now() - start;
    await store.close();
    return {
      name: store.name, restoreEntriesPerSec, commitEntriesPerSec: median(commitRates), getsPerSec: median(getRates),
      rangeEntriesPerSec: median(rangeRates), openMs, diskBytes,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(options: { keyCount?: number } = {}): Promise<{ keyCount: number; results: StoreResult[] }> {
  const keyCount = options.keyCount ?? 1_000_000;
  const factories = [lmdbFactory(true), lmdbFactory(false), ...(levelFactory === null ? [] : [levelFactory]), logFactory];
  const results: StoreResult[] = [];
  for (const factory of factories) results.push(await measure(factory, keyCount));
  return { keyCount, results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const keyCount = Number(process.argv[2] ?? 1_000_000);
  console.log(`machine: ${describeMachine(machineInfo())} (shared with other work: figures are noisy)`);
  if (levelFactory === null) console.log('classic-level not installed: npm install --no-save classic-level to include it');
  const { results } = await run({ keyCount });
  const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')}k/s`;
  console.log(`${keyCount.toLocaleString('en-US')} keys`);
  console.log('store              restore     commit      get        range      open      disk');
  for (const r of results) {
    console.log(`${r.name.padEnd(18)} ${k(r.restoreEntriesPerSec).padEnd(11)} ${k(r.commitEntriesPerSec).padEnd(11)} ${k(r.getsPerSec).padEnd(10)} ` +
      `${k(r.rangeEntriesPerSec).padEnd(10)} ${r.openMs.toFixed(1).padStart(7)} ms ${(r.diskBytes / 1048576).toFixed(0).padStart(5)} MiB`);
  }
}
