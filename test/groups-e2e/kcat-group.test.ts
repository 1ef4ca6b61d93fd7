/**
 * kcat -G (librdkafka's balanced consumer) in a group against a real `brook serve` process:
 * FindCoordinator, JoinGroup/SyncGroup with librdkafka's subscription v1, OffsetFetch/Commit.
 * kcat is a Debian package: when CI=true a missing kcat fails; elsewhere the test is skipped with a
 * visible message.
 */
import { spawnSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { makeTempDir, startGroupServer, type GroupServer } from './helpers.js';

const kcatVersion = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
const kcatFound = kcatVersion.status === 0;
if (!kcatFound) {
  if (process.env.CI === 'true') throw new Error('kcat is not installed, and CI=true requires it (apt-get install kcat)');
  console.warn('SKIPPING kcat group tests: kcat is not installed (apt-get install kcat)');
}

let server: GroupServer;

/** Runs `kcat -G` until it has printed `count` values (kcat's -c), or fails after 60 s. */
function kcatGroup(group: string, topic: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', server.broker, '-G', group, '-c', String(count), '-f', '%s\n', '-X', 'auto.offset.reset=earliest', topic], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter((l) => l !== ''));
      else reject(new Error(`kcat -G exited ${code}: ${err}`));
    });
  });
}

beforeAll(async () => {
  if (!kcatFound) return;
  server = await startGroupServer(makeTempDir('brook-kcat-group-'));
  const kafka = new Kafka({ brokers: [server.broker], clientId: 'setup', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'lines', numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'lines', messages: Array.from({ length: 90 }, (_, i) => ({ key: `k${i}`, value: `line-${i}` })) });
  await producer.disconnect();
});

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!kcatFound)(`kcat -G (${kcatVersion.stdout?.split('\n')[0] ?? 'missing'})`, () => {
  it('reads every record of a three-partition topic as a balanced consumer and commits its position', async () => {
    const values = await kcatGroup('kcat-readers', 'lines', 90);
    expect(new Set(values)).toEqual(new Set(Array.from({ length: 90 }, (_, i) => `line-${i}`)));
    const kafka = new Kafka({ brokers: [server.broker], clientId: 'check', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const groups = await admin.listGroups();
    const committed = await admin.fetchOffsets({ groupId: 'kcat-readers', topics: ['lines'] });
    await admin.disconnect();
    expect(groups.groups.map((g) => g.groupId)).toContain('kcat-readers');
    // librdkafka commits what it consumed when it leaves (enable.auto.commit, commit on close).
    const total = committed[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(90);
  }, 90_000);
});
