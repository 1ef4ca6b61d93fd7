/**
 * `brook mirror` end to end: the source is a data dir written in this process, the target
 * cluster is a second real `brook serve` process (it speaks the Kafka protocol, as a Kafka cluster
 * would), and the mirror runs as the real CLI. Needs dist/ (npx tsc -p tsconfig.json).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerBackend } from '../../src/embedded/broker-backend.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { LATEST_TIMESTAMP, type BrookBackend, type GroupTransport } from '../../src/embedded/backend.js';
import { Compression } from '../../src/protocol/compression.js';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { ATTR_COMPRESSION_MASK, decodeRecords, encodeRecordBatch, iterateBatches, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { startBrookServe, type RunningServe } from '../client/brook-serve.js';
import { start } from '../helpers/server-process.js';
import { Mirror } from '../../src/mirror/mirror.js';
import { BROOK, brook, finished, REPO, tempDataDir } from '../cli/helpers.js';

interface Seen {
  key: string | null;
  value: string;
  timestamp: number;
  headers: string;
}

const PARTITIONS = 3;
const T0_MS = 1_700_000_000_000;

let target: RunningServe;
let targetBackend: NetworkBackend;

beforeAll(async () => {
  target = await startBrookServe();
  targetBackend = await NetworkBackend.connect(target.address);
}, 30_000);

afterAll(async () => {
  await targetBackend?.close();
  await target?.stop();
});

/** Record i of partition p: its key, value, header and timestamp all derive from (p, i). */
function record(p: number, i: number): ProducerRecord {
  return {
    key: i % 7 === 0 ? null : Buffer.from(`key-${p}-${i % 50}`),
    value: Buffer.from(`p${p}-${i}`),
    headers: [{ key: 'source', value: Buffer.from(`${p}/${i}`) }, { key: 'empty', value: null }],
    timestamp: T0_MS + p * 1_000_000 + i * 3,
  };
}

/** Writes batchCount batches of recordsPerBatch records to each partition; every 3rd batch gzip. */
async function writeSource(dataDir: string, topic: string, batchCount: number, recordsPerBatch: number): Promise<number> {
  const backend = await BrokerBackend.open({ dataDir, groups: false });
  try {
    return await writeSourceWith(backend, topic, batchCount, recordsPerBatch);
  } finally {
    await backend.close();
  }
}

/** writeSource on an open backend; returns the largest batch's size in bytes. */
async function writeSourceWith(backend: BrookBackend, topic: string, batchCount: number, recordsPerBatch: number): Promise<number> {
  let batchBytesMax = 0;
  await backend.createTopic(topic, { partitions: PARTITIONS });
  for (let p = 0; p < PARTITIONS; p++) {
    let pending: Buffer[] = [];
    for (let b = 0; b < batchCount; b++) {
      const records = Array.from({ length: recordsPerBatch }, (_, j) => record(p, b * recordsPerBatch + j));
      const batch = encodeRecordBatch(records, { compression: b % 3 === 2 ? Compression.gzip : Compression.none });
      batchBytesMax = Math.max(batchBytesMax, batch.length);
      pending.push(batch);
      if (pending.length === 100 || b === batchCount - 1) {
        const result = await backend.produce(topic, p, Buffer.concat(pending), 'all');
        expect(result.errorCode).toBe(0);
        pending = [];
      }
    }
  }
  return batchBytesMax;
}

function expected(p: number, count: number): Seen[] {
  return Array.from({ length: count }, (_, i) => seen(record(p, i)));
}

function seen(r: { key?: Buffer | null; value: Buffer | null; timestamp?: number; headers?: { key: string; value: Buffer | null }[] }): Seen {
  return {
    key: r.key?.toString() ?? null,
    value: r.value!.toString(),
    timestamp: r.timestamp!,
    headers: JSON.stringify((r.headers ?? []).map((h) => [h.key, h.value?.toString() ?? null])),
  };
}

/** Every record of one target partition, in offset order. */
async function readTarget(backend: BrookBackend, topic: string, partition: number): Promise<Seen[]> {
  const out: Seen[] = [];
  let fetchOffset = 0;
  for (;;) {
    const [result] = await backend.fetch([{ topic, partition, fetchOffset, partitionMaxBytes: 1_048_576 }], { maxWaitMs: 0, minBytes: 1, maxBytes: 4_194_304 });
    expect(result!.errorCode).toBe(0);
    if (fetchOffset >= result!.highWatermark) return out;
    for (const { pos, sizeBytes, header } of iterateBatches(result!.records!)) {
      for (const r of decodeRecords(result!.records!.subarray(pos, pos + sizeBytes))) {
        if (r.offset >= fetchOffset) out.push(seen(r));
      }
      fetchOffset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
}

/** The compression codec of every batch stored in one target partition's segment files, in order. */
function storedCodecs(topic: string, partition: number): number[] {
  const dir = path.join(target.dataDir, `${topic}-${partition}`);
  const codecs: number[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    for (const { header } of iterateBatches(fs.readFileSync(path.join(dir, name)))) codecs.push(header.attributes & ATTR_COMPRESSION_MASK);
  }
  return codecs;
}

/** The source group's committed offset per partition (-1: none), read from the source data dir. */
async function committedOffsets(dataDir: string, groupId: string, topic: string): Promise<number[]> {
  const backend = await BrokerBackend.open({ dataDir });
  try {
    const fetched = await backend.groups!.offsetFetch({ groupId, topics: [{ name: topic, partitionIndexes: [0, 1, 2] }] } as Parameters<GroupTransport['offsetFetch']>[0]);
    const partitions = fetched.topics.find((t) => t.name === topic)!.partitions;
    return Array.from({ length: PARTITIONS }, (_, p) => partitions.find((x) => x.partitionIndex === p)!.committedOffset);
  } finally {
    await backend.close();
  }
}

async function targetEndOffsets(topic: string): Promise<number[]> {
  const ends: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const answer = await targetBackend.listOffset(topic, p, LATEST_TIMESTAMP);
    expect(answer.errorCode).toBe(0);
    ends.push(answer.offset);
  }
  return ends;
}

/** Starts `brook <args>` and waits until the target holds an eighth of `total` records (or it exits). */
async function startMirrorUntilAnEighth(args: string[], topic: string, total: number) {
  const child = spawn(process.execPath, [BROOK, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = finished(child);
  while ((await targetRecordCount(topic)) < total / 8 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
  return { child, exited };
}

async function targetRecordCount(topic: string): Promise<number> {
  let total = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const answer = await targetBackend.listOffset(topic, p, LATEST_TIMESTAMP);
    if (answer.errorCode === 0) total += answer.offset;
  }
  return total;
}

describe('brook mirror', () => {
  it('copies a 3-partition topic with keys, headers and timestamps into the same partitions, in order', async () => {
    const source = tempDataDir();
    try {
      await writeSource(source.dir, 'orders', 20, 10);
      const run = await brook(['-d', source.dir, 'mirror', 'orders', '--to', target.address, '--group', 'm1', '--create-topics', '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.recordCount).toBe(PARTITIONS * 200);
      expect(summary.reencodedBatchCount).toBe(0); // 1:1 partitions: every batch forwarded whole
      expect(summary.idempotent).toBe(true);
      for (let p = 0; p < PARTITIONS; p++) expect(await readTarget(targetBackend, 'orders', p)).toEqual(expected(p, 200));

      // The group's offsets were committed: a rerun has nothing left to send.
      const again = await brook(['-d', source.dir, 'mirror', 'orders', '--to', target.address, '--group', 'm1', '--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).recordCount).toBe(0);
    } finally {
      source.cleanup();
    }
  }, 40_000);

  it('routes by murmur2 key hash, re-encoding, when the target topic has fewer partitions', async () => {
    const source = tempDataDir();
    try {
      await writeSource(source.dir, 'narrow', 4, 10);
      await targetBackend.createTopic('edge.narrow', { partitions: 2 });
      const run = await brook(['-d', source.dir, 'mirror', 'narrow', '--to', target.address, '--target-topic-prefix', 'edge.', '--json']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).forwardedBatchCount).toBe(0);
      const want: Seen[][] = [[], []];
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = 0; i < 40; i++) {
          const r = record(p, i);
          want[r.key === null ? p % 2 : partitionForKey(r.key!, 2)]!.push(seen(r));
        }
      }
      for (let t = 0; t < 2; t++) {
        const got = await readTarget(targetBackend, 'edge.narrow', t);
        // Source partitions interleave on a target partition; each one's order is kept.
        const bySource = (list: Seen[], p: number) => list.filter((s) => s.value.startsWith(`p${p}-`));
        for (let p = 0; p < PARTITIONS; p++) expect(bySource(got, p)).toEqual(bySource(want[t]!, p));
        expect(got.length).toBe(want[t]!.length);
      }
    } finally {
      source.cleanup();
    }
  }, 40_000);

  it('loses nothing after a SIGKILL and duplicates at most the last unacknowledged round on rerun', async () => {
    const source = tempDataDir();
    const batchCount = 1500;
    const recordsPerBatch = 4;
    const fetchBytes = 512;
    try {
      const batchBytesMax = await writeSource(source.dir, 'logs', batchCount, recordsPerBatch);
      const total = PARTITIONS * batchCount * recordsPerBatch;
      const args = ['-d', source.dir, 'mirror', 'logs', '--to', target.address, '--group', 'crash', '--create-topics', '--fetch-bytes', String(fetchBytes),
        '--from-beginning'];
      const { child, exited: first } = await startMirrorUntilAnEighth([...args, '--follow'], 'logs', total);
      child.kill('SIGKILL');
      expect((await first).signal).toBe('SIGKILL');
      const atKill = await targetRecordCount('logs');
      expect(atKill).toBeLessThan(total); // killed midway

      const rerun = await brook([...args, '--json']);
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      expect(JSON.parse(rerun.stdout).recordCount).toBeGreaterThan(0);

      // One round sends at most fetchBytes of whole batches per partition, plus one batch.
      const roundRecordsMax = (Math.floor(fetchBytes / batchBytesMax) + 1) * recordsPerBatch;
      for (let p = 0; p < PARTITIONS; p++) {
        const want = expected(p, batchCount * recordsPerBatch);
        const got = await readTarget(targetBackend, 'logs', p);
        // got = want[0, a) ++ want[c, end): the re-sent stretch [c, a) is the only duplicate.
        let a = 0;
        while (a < want.length && got[a]?.value === want[a]!.value) a++;
        const c = a === got.length ? a : want.findIndex((s) => s.value === got[a]!.value);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(a); // c > a would be a hole: records never forwarded
        expect(got.slice(0, a)).toEqual(want.slice(0, a));
        expect(got.slice(a)).toEqual(want.slice(c));
        expect(a - c).toBeLessThanOrEqual(roundRecordsMax);
      }
    } finally {
      source.cleanup();
    }
  }, 60_000);

  it('commits no source offset for a round the target never acknowledged', async () => {
    // Deterministic twin of the SIGKILL test: a target whose every .log write fails answers each
    // produce with KAFKA_STORAGE_ERROR (retriable), so no round is ever acknowledged; the mirror
    // retries until its delivery timeout and must not have moved the group's offsets meanwhile.
    const source = tempDataDir();
    const failing = await start({ env: { BROOK_FAULTS: JSON.stringify({ seed: 7, writeFailRate: 1, pathIncludes: '.log', scope: 'partitions' }) } });
    const backend = await BrokerBackend.open({ dataDir: source.dir });
    try {
      await writeSourceWith(backend, 'unacked', 3, 5);
      const commits: unknown[] = [];
      const groups = backend.groups!;
      const offsetCommit = groups.offsetCommit.bind(groups);
      groups.offsetCommit = async (body) => {
        commits.push(body);
        return offsetCommit(body);
      };
      const mirror = await Mirror.open(backend, { topics: ['unacked'], to: failing.address, groupId: 'unacked', createTopics: true, fromBeginning: true, deliveryTimeoutMs: 1_500 });
      try {
        await expect(mirror.run(new AbortController().signal)).rejects.toThrow(/KAFKA_STORAGE_ERROR|storage|delivery/i);
      } finally {
        await mirror.close();
      }
      expect(failing.stderr()).not.toMatch(/uncaught/i);
      expect(commits).toEqual([]);
      const fetched = await groups.offsetFetch({ groupId: 'unacked', topics: [{ name: 'unacked', partitionIndexes: [0, 1, 2] }] } as Parameters<typeof groups.offsetFetch>[0]);
      for (const topic of fetched.topics) for (const partition of topic.partitions) expect(partition.committedOffset).toBe(-1);
    } finally {
      await backend.close();
      await failing.stop();
      source.cleanup();
    }
  }, 40_000);

  it('re-encodes every batch with --compression zstd: the target stores zstd batches and the records round-trip', async () => {
    const source = tempDataDir();
    const batchCount = 6;
    try {
      await writeSource(source.dir, 'packed', batchCount, 10); // none, none, gzip, none, none, gzip
      const run = await brook(['-d', source.dir, 'mirror', 'packed', '--to', target.address, '--create-topics', '--compression', 'zstd', '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.recordCount).toBe(PARTITIONS * batchCount * 10);
      expect(summary.forwardedBatchCount).toBe(0);
      expect(summary.reencodedBatchCount).toBe(PARTITIONS * batchCount);
      for (let p = 0; p < PARTITIONS; p++) {
        expect(storedCodecs('packed', p)).toEqual(Array(batchCount).fill(Compression.zstd));
        expect(await readTarget(targetBackend, 'packed', p)).toEqual(expected(p, batchCount * 10));
      }
    } finally {
      source.cleanup();
    }
  }, 40_000);

  it('re-batches a compacted source topic (offset deltas with holes), which the target would refuse as is', async () => {
    const source = tempDataDir();
    try {
      const backend = await BrokerBackend.open({ dataDir: source.dir, groups: false });
      let survivors: Seen[] = [];
      try {
        await backend.createTopic('state', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0.01' } });
        // 10 records per batch over 4 keys: compaction keeps the last of each key, leaving holes.
        for (let b = 0; b < 60; b++) {
          const records = Array.from({ length: 10 }, (_, j) => ({ key: Buffer.from(`k${(b * 10 + j) % 4}`), value: Buffer.from(`v${b}-${j}`), timestamp: T0_MS + b * 10 + j }));
          expect((await backend.produce('state', 0, encodeRecordBatch(records), 'all')).errorCode).toBe(0);
        }
        // The cleaner runs on the partition's schedule; wait until a stored batch has holes (read
        // from the files: a reader opened before the swap may still serve the pre-clean segment).
        const holey = () => fs.readdirSync(path.join(source.dir, 'state-0')).filter((n) => n.endsWith('.log'))
          .some((n) => [...iterateBatches(fs.readFileSync(path.join(source.dir, 'state-0', n)))].some(({ header }) => header.recordsCount !== header.lastOffsetDelta + 1));
        while (!holey()) await new Promise((resolve) => setTimeout(resolve, 50));
        // No further cleaning from here, so the mirror and this test read the same records.
        await backend.alterTopicConfigs('state', { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'segment.bytes': '2048' }, 'replace');
      } finally {
        await backend.close();
      }
      const reader = await BrokerBackend.open({ dataDir: source.dir, groups: false });
      try {
        survivors = await readTarget(reader, 'state', 0); // the source, as a consumer reads it
      } finally {
        await reader.close();
      }
      expect(survivors.length).toBeLessThan(600);
      const run = await brook(['-d', source.dir, 'mirror', 'state', '--to', target.address, '--create-topics', '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.recordCount).toBe(survivors.length);
      expect(summary.reencodedBatchCount).toBeGreaterThan(0);
      expect(await readTarget(targetBackend, 'state', 0)).toEqual(survivors);
    } finally {
      source.cleanup();
    }
  }, 60_000);

  it('on SIGINT finishes and commits the round in flight, exits 0, and a rerun sends the rest exactly once', async () => {
    const source = tempDataDir();
    const batchCount = 1500;
    const recordsPerBatch = 4;
    try {
      await writeSource(source.dir, 'interrupted', batchCount, recordsPerBatch);
      const total = PARTITIONS * batchCount * recordsPerBatch;
      const args = ['-d', source.dir, 'mirror', 'interrupted', '--to', target.address, '--group', 'sigint', '--create-topics', '--fetch-bytes', '512', '--json'];
      const { child, exited: first } = await startMirrorUntilAnEighth([...args, '--follow', '--from-beginning'], 'interrupted', total);
      try {
        child.kill('SIGINT');
        const stopped = await first;
        // Committed exactly up to what the target holds: the round in flight was finished.
        const ends = await targetEndOffsets('interrupted');
        expect(await committedOffsets(source.dir, 'sigint', 'interrupted')).toEqual(ends);
        expect(stopped.stderr).toBe('');
        expect(stopped.signal).toBeNull();
        expect(stopped.code).toBe(0);
        const summary = JSON.parse(stopped.stdout);
        expect(summary.recordCount).toBeLessThan(total); // interrupted midway
        expect(ends.reduce((a, b) => a + b, 0)).toBe(summary.recordCount);
      } finally {
        child.kill('SIGKILL');
      }

      const rerun = await brook(args);
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      for (let p = 0; p < PARTITIONS; p++) {
        expect(await readTarget(targetBackend, 'interrupted', p)).toEqual(expected(p, batchCount * recordsPerBatch));
      }
    } finally {
      source.cleanup();
    }
  }, 60_000);

  it('fails with one line and a non-zero exit when the target cannot be reached or lacks the topic', async () => {
    const source = tempDataDir();
    try {
      await writeSource(source.dir, 'lonely', 1, 1);
      const unreachable = await brook(['-d', source.dir, 'mirror', 'lonely', '--to', '127.0.0.1:1']);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/^brook: cannot reach broker 127\.0\.0\.1:1 \([^\n]*\)\n$/);
      const noTopic = await brook(['-d', source.dir, 'mirror', 'lonely', '--to', target.address]);
      expect(noTopic.code).toBe(1);
      expect(noTopic.stderr).toBe(`brook: target topic 'lonely' does not exist on ${target.address} (create it, or pass --create-topics)\n`);
    } finally {
      source.cleanup();
    }
  }, 30_000);
});
