/**
 * `brook consume --group` and `brook groups ...` as real processes, on a data dir and through a
 * real `brook serve` (--broker). Needs dist/ (npx tsc -p tsconfig.json).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import type { BrookBackend } from '../../src/embedded/backend.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { startGroupServer, waitFor, type GroupServer } from '../groups-e2e/helpers.js';
import { brook, finished, tempDataDir, BROOK, REPO } from './helpers.js';
import { spawn } from 'node:child_process';

const ENV = { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Values `<partition>-<i>` (not through the producer: these tests are about groups). */
async function produce(backend: BrookBackend, topic: string, partitions: number, perPartition: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const records = Array.from({ length: perPartition }, (_, i) => ({ value: Buffer.from(`${p}-${i}`) }));
    expect((await backend.produce(topic, p, encodeRecordBatch(records), 1)).errorCode).toBe(0);
  }
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

async function describeJson(args: string[]): Promise<{ state: string; members: { clientId: string; assignment: unknown[] }[]; offsets: { partition: number; committedOffset: number; logEndOffset: number; lag: number | null }[] }> {
  const result = await brook([...args, 'groups', 'describe', 'g', '--json'], { env: ENV });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

describe('brook consume --group and brook groups on a data dir', () => {
  it('resumes where the group left off, then describes, resets and deletes the group', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    const b = await Brook.open({ dataDir: dir });
    await b.admin.createTopic('t', { partitions: 3 });
    await produce(b.backend, 't', 3, 4);
    await b.close();
    const d = ['--data-dir', dir];

    const first = await brook([...d, 'consume', 't', '--group', 'g', '-n', '5'], { env: ENV });
    expect(first.code).toBe(0);
    const second = await brook([...d, 'consume', 't', '--group', 'g'], { env: ENV });
    expect(second.code).toBe(0);
    const all = [...lines(first.stdout), ...lines(second.stdout)];
    expect(lines(first.stdout)).toHaveLength(5);
    expect(all.sort()).toEqual(['0-0', '0-1', '0-2', '0-3', '1-0', '1-1', '1-2', '1-3', '2-0', '2-1', '2-2', '2-3']);
    expect(lines((await brook([...d, 'consume', 't', '--group', 'g'], { env: ENV })).stdout)).toEqual([]);

    const list = await brook([...d, 'groups', 'list', '--json'], { env: ENV });
    expect(JSON.parse(list.stdout)).toEqual([{ groupId: 'g', state: 'Empty', protocolType: 'consumer' }]);
    expect((await describeJson(d)).offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag])).toEqual([[0, 4, 4, 0], [1, 4, 4, 0], [2, 4, 4, 0]]);

    const reset = await brook([...d, 'groups', 'reset-offsets', 'g', '--topic', 't', '--to-offset', '1'], { env: ENV });
    expect(reset.code).toBe(0);
    expect((await describeJson(d)).offsets.map((o) => o.lag)).toEqual([3, 3, 3]);
    expect(lines((await brook([...d, 'consume', 't', '--group', 'g'], { env: ENV })).stdout)).toHaveLength(9);

    expect((await brook([...d, 'groups', 'delete', 'g'], { env: ENV })).stdout).toBe("deleted group 'g'\n");
    const missing = await brook([...d, 'groups', 'describe', 'g'], { env: ENV });
    expect(missing).toMatchObject({ code: 1, stderr: "brook: group 'g' does not exist\n" });
  }, 60_000);

  it('explains its options in --help and refuses a reset without a --to-... choice', async () => {
    const help = await brook(['groups', 'reset-offsets', '--help']);
    expect(help.stdout).toMatch(/--to-earliest[\s\S]*--to-latest[\s\S]*--to-offset[\s\S]*--to-datetime/);
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    const none = await brook(['--data-dir', dir, 'groups', 'reset-offsets', 'g', '--topic', 't'], { env: ENV });
    expect(none).toMatchObject({ code: 1, stderr: 'brook: give exactly one of --to-earliest, --to-latest, --to-offset <n>, --to-datetime <iso>\n' });
  }, 30_000);
});

describe('brook groups through brook serve (--broker)', () => {
  let server: GroupServer;

  it('lists, describes with members and lag, refuses a reset and a delete while a member is active, then resets and deletes', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    server = await startGroupServer(dir);
    cleanups.push(async () => void (await server.stop()));
    const backend = await NetworkBackend.connect(server.broker);
    cleanups.push(() => backend.close());
    await backend.createTopic('t', { partitions: 2 });
    await produce(backend, 't', 2, 3);
    const b = ['--broker', server.broker];

    const consumed = await brook([...b, 'consume', 't', '--group', 'g'], { env: ENV });
    expect(lines(consumed.stdout).sort()).toEqual(['0-0', '0-1', '0-2', '1-0', '1-1', '1-2']);
    expect(JSON.parse((await brook([...b, 'groups', 'list', '--json'])).stdout)).toEqual([{ groupId: 'g', state: 'Empty', protocolType: 'consumer' }]);
    expect((await describeJson(b)).offsets.map((o) => o.lag)).toEqual([0, 0]);

    const follower = spawn(process.execPath, [BROOK, ...b, 'consume', 't', '--group', 'g', '--follow'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const followerDone = finished(follower);
    cleanups.push(() => void follower.kill('SIGKILL'));
    await waitFor('the follower to own both partitions', async () => {
      const d = await describeJson(b);
      return d.state === 'Stable' && d.members.length === 1 && d.members[0]!.assignment.length === 1;
    });
    const described = await brook([...b, 'groups', 'describe', 'g']);
    expect(described.stdout).toMatch(/state Stable {2}protocol consumer\/range {2}members 1/);
    expect(described.stdout).toMatch(/brook-embedded|brook/);

    const refused = await brook([...b, 'groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("brook: group 'g' has 1 active member(s); stop its consumers before resetting offsets\n");
    const notDeleted = await brook([...b, 'groups', 'delete', 'g']);
    expect(notDeleted).toMatchObject({ code: 1, stderr: "brook: group 'g' has active members; stop its consumers first\n" });

    follower.kill('SIGTERM');
    expect((await followerDone).code).toBe(143); // 128 + SIGTERM, as for produce
    await waitFor('the group to be empty', async () => (await describeJson(b)).members.length === 0);
    const reset = await brook([...b, 'groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest']);
    expect(reset.code).toBe(0);
    expect((await describeJson(b)).offsets.map((o) => [o.committedOffset, o.lag])).toEqual([[0, 3], [0, 3]]);
    const future = await brook([...b, 'groups', 'reset-offsets', 'g', '--topic', 't', '--to-datetime', '2999-01-01T00:00:00Z']);
    expect(future.code).toBe(0);
    expect((await describeJson(b)).offsets.map((o) => o.committedOffset)).toEqual([3, 3]);
    expect((await brook([...b, 'groups', 'delete', 'g'])).code).toBe(0);
    expect(JSON.parse((await brook([...b, 'groups', 'list', '--json'])).stdout)).toEqual([]);
  }, 90_000);
});
