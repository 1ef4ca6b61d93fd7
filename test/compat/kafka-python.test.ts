/**
 * kafka-python 2.0.2 (Debian's python3-kafka) against a real `brook serve` process, with
 * api_version left to the client's own probe (ApiVersions v0 plus a pipelined Metadata v0, then
 * request versions inferred from the answer): metadata, create topic with configs, produce with
 * every codec it has (gzip, snappy, lz4, zstd with python3-snappy/-lz4/-zstandard), a consumer
 * group of two with commits, a resume after a broker restart, and the admin describe/list calls.
 * The client runs as test/compat/fixtures/kafka_python_client.py, one command per process.
 * When CI=true a missing python3-kafka fails the suite; elsewhere these tests are skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const SCRIPT = path.join(import.meta.dirname, 'fixtures', 'kafka_python_client.py');
// Debian's python3 has the package; a PATH python (pyenv, venv) may not.
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import kafka'], { stdio: 'ignore' }).status === 0);
if (PYTHON === undefined) {
  if (process.env.CI === 'true') throw new Error('python3-kafka is not installed, and CI=true requires it (apt-get install python3-kafka)');
  console.warn('SKIPPING kafka-python compatibility tests: python3-kafka is not installed');
}
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

let server: ServerProcess;

/** Runs one client command; resolves with its JSON answer, rejects with its stderr. */
function client(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON!, [SCRIPT, server.address, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
      else reject(new Error(`kafka-python ${args.join(' ')} exited ${code}: ${stderr.slice(-3000)}`));
    });
  });
}

interface GroupMemberReport {
  assigned: number[];
  read: { partition: number; offset: number; value: string }[];
  committed: Record<string, number>;
}

describe.skipIf(PYTHON === undefined)('kafka-python 2.0.2 (python3-kafka), api_version not pinned', () => {
  beforeAll(async () => {
    server = await startServer(undefined, [], { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('probes the broker (ApiVersions v0 + Metadata v0) and infers a modern broker', async () => {
    const probed = await client('probe');
    // (2, 1) or later: zstd, Fetch v10, the record batch v2 format.
    expect(probed.apiVersion[0] * 100 + probed.apiVersion[1]).toBeGreaterThanOrEqual(201);
    expect(server.stderr()).not.toMatch(/closing the connection/);
  });

  it('creates a topic with configs and describes them back', async () => {
    const created = await client('create', 'py-orders', '2');
    expect(created.configs).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete', 'max.message.bytes': '2000000' });
  });

  it('produces with every codec it has and a group of two reads everything, each member one partition, commits', async () => {
    for (const codec of CODECS) expect((await client('produce', 'py-orders', codec, '20')).acked).toBe(20);
    const members: GroupMemberReport[] = await Promise.all([client('consume-group', 'py-orders', 'py-group', '2'), client('consume-group', 'py-orders', 'py-group', '2')]);
    expect(members.map((m) => m.assigned).sort()).toEqual([[0], [1]]);
    const values = members.flatMap((m) => m.read.map((r) => r.value)).sort();
    const expected = CODECS.flatMap((codec) => Array.from({ length: 20 }, (_, i) => `${codec} value ${i} ${'x'.repeat(i)}`)).sort();
    expect(values).toEqual(expected);
    const committedTotal = members.reduce((sum, m) => sum + Object.values(m.committed).reduce((a, b) => a + b, 0), 0);
    expect(committedTotal).toBe(expected.length);
  });

  it('lists and describes groups, committed offsets, topics and the cluster', async () => {
    const admin = await client('admin', 'py-orders', 'py-group');
    expect(admin.groups).toContain('py-group');
    expect(admin.groupState).toBe('Empty');
    expect(Number(admin.offsets['0']) + Number(admin.offsets['1'])).toBe(CODECS.length * 20);
    expect(admin.partitions).toBe(2);
    expect(admin.brokers).toBe(1);
  });

  it('with api_version pinned to 0.10.0, writes and reads message format 1 (up- and down-converted)', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
      const before = Date.now();
      const { read } = await client('old-format', `py-format1-${codec}`, codec, '30');
      expect(read.map((r: { offset: number; key: string; value: string }) => [r.offset, r.key, r.value]))
        .toEqual(Array.from({ length: 30 }, (_, i) => [i, `key-${i}`, `format 1 ${codec} ${i} ${'z'.repeat(i)}`]));
      // Format 1 carries the producer's timestamps through both conversions.
      for (const r of read) expect(r.timestamp).toBeGreaterThanOrEqual(before - 60_000);
    }
  });

  it('resumes from the committed offsets after the broker restarts', async () => {
    await client('produce', 'py-orders', 'gzip', '5');
    const dataDir = server.dataDir;
    expect(await server.stop()).toBe(0);
    server = await startServer(dataDir, [], { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
    const resumed: GroupMemberReport = await client('consume-group', 'py-orders', 'py-group', '1');
    expect(resumed.read.map((r) => r.value).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `gzip value ${i} ${'x'.repeat(i)}`).sort());
    expect(fs.existsSync(dataDir)).toBe(true);
  });
});
