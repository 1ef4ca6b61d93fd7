/**
 * The embedded group consumer against the in-process broker's real coordinator workers (compiled
 * from dist/: run `npx tsc -p tsconfig.json` first).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import type { Consumer, ConsumerOptions, ConsumerRecord } from '../../src/embedded/consumer.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { makeTempDir, waitFor } from '../groups-e2e/helpers.js';

beforeAll(() => {
  // group.initial.rebalance.delay.ms: the coordinator reads it when the broker opens.
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
});

let brook: Brook | null = null;
afterEach(async () => {
  await brook?.close();
  brook = null;
});

const FAST = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100, autoCommitIntervalMs: 200, maxWaitMs: 100 } as const;

/** Values `<partition>-<i>`, one batch per partition, straight to the backend. */
async function produce(b: Brook, topic: string, partitions: number, perPartition: number, first = 0): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const values = Array.from({ length: perPartition }, (_, i) => ({ value: Buffer.from(`${p}-${first + i}`) }));
    const result = await b.backend.produce(topic, p, encodeRecordBatch(values), 1);
    expect(result.errorCode).toBe(0);
  }
}

/** A member polling in the background; checks every delivered record belongs to its assignment. */
class Member {
  readonly records: ConsumerRecord[] = [];
  readonly outsideAssignment: ConsumerRecord[] = [];
  private readonly loop: Promise<void>;
  constructor(readonly consumer: Consumer) {
    this.loop = (async () => {
      for (;;) {
        const batch = await consumer.poll();
        if (batch === null) return;
        const assigned = new Set(consumer.groupMember!.assignment());
        for (const r of batch) (assigned.has(r.partition) ? this.records : this.outsideAssignment).push(r);
      }
    })();
  }
  assignment(): number[] {
    return this.consumer.groupMember!.assignment();
  }
  async close(): Promise<void> {
    await this.consumer.close();
    await this.loop;
  }
}

function keys(records: ConsumerRecord[]): Set<string> {
  return new Set(records.map((r) => `${r.partition}:${r.offset}`));
}

function settled(members: Member[], partitionCount: number): boolean {
  const generations = new Set(members.map((m) => m.consumer.groupMember!.generationId));
  const all = members.flatMap((m) => m.assignment());
  return generations.size === 1 && all.length === partitionCount && new Set(all).size === partitionCount;
}

describe('embedded group consumer', () => {
  it('shares six partitions among three members disjointly, delivers every record, and loses none when a member leaves', async () => {
    brook = await Brook.open({ dataDir: makeTempDir('brook-group-consumer-') });
    await brook.admin.createTopic('events', { partitions: 6 });
    await produce(brook, 'events', 6, 50);
    const options: ConsumerOptions = { topic: 'events', groupId: 'g', from: 'beginning', ...FAST };
    const members = [0, 1, 2].map(() => new Member(brook!.consumer(options)));
    await waitFor('three members to settle', () => settled(members, 6));
    for (const m of members) expect(m.assignment()).toHaveLength(2); // range: 6 partitions / 3 members
    await waitFor('all 300 records', () => keys(members.flatMap((m) => m.records)).size === 300);

    await members[2]!.close();
    const remaining = members.slice(0, 2);
    await produce(brook, 'events', 6, 50, 50);
    await waitFor('two members to settle', () => settled(remaining, 6));
    await waitFor('all 600 records', () => keys(members.flatMap((m) => m.records)).size === 600);
    expect(remaining.map((m) => m.assignment().length)).toEqual([3, 3]);
    expect(members.flatMap((m) => m.outsideAssignment)).toEqual([]);
    for (const m of remaining) await m.close();
  }, 60_000);

  it('resumes from the committed offsets after close, and after the broker is reopened', async () => {
    const dataDir = makeTempDir('brook-group-resume-');
    brook = await Brook.open({ dataDir });
    await brook.admin.createTopic('t', { partitions: 2 });
    await produce(brook, 't', 2, 20);
    const readAll = async (b: Brook, count: number): Promise<ConsumerRecord[]> => {
      const consumer = b.consumer({ topic: 't', groupId: 'r', from: 'beginning', ...FAST });
      const out: ConsumerRecord[] = [];
      while (out.length < count) out.push(...(await consumer.poll())!);
      await consumer.close(); // commits and leaves
      return out;
    };
    expect((await readAll(brook, 40)).length).toBe(40);
    await produce(brook, 't', 2, 5, 20);
    const second = await readAll(brook, 10);
    expect(second.map((r) => r.offset).sort((a, b) => a - b)).toEqual([20, 20, 21, 21, 22, 22, 23, 23, 24, 24]);

    await brook.close();
    brook = await Brook.open({ dataDir });
    await produce(brook, 't', 2, 1, 25);
    expect((await readAll(brook, 2)).map((r) => r.value!.toString()).sort()).toEqual(['0-25', '1-25']);
  }, 60_000);

  it('keeps every fetch offset when a fetch fails for one partition (regression: the other partitions\' records were skipped)', async () => {
    brook = await Brook.open({ dataDir: makeTempDir('brook-group-fetch-error-') });
    await brook.admin.createTopic('shrinks', { partitions: 2 });
    const consumer = brook.consumer({ topic: 'shrinks', groupId: 'g', from: 'beginning', ...FAST, autoCommit: false });
    for (let i = 0; i < 100 && consumer.groupMember!.assignment().length < 2; i++) expect(await consumer.poll()).toEqual([]);
    expect(consumer.position(0)).toBe(0);
    // Recreated with one partition: partition 0 has records, partition 1 no longer exists.
    await brook.admin.deleteTopic('shrinks');
    await brook.admin.createTopic('shrinks', { partitions: 1 });
    await produce(brook, 'shrinks', 1, 2);
    await expect(consumer.poll()).rejects.toThrow();
    expect(consumer.position(0)).toBe(0);
    await consumer.close();
  });

  it('with autoCommit off, commits only on commit(): uncommitted records come again', async () => {
    brook = await Brook.open({ dataDir: makeTempDir('brook-group-manual-') });
    await brook.admin.createTopic('t', { partitions: 1 });
    await produce(brook, 't', 1, 10);
    const consumer = () => brook!.consumer({ topic: 't', groupId: 'm', from: 'beginning', autoCommit: false, ...FAST });
    const first = consumer();
    let got: ConsumerRecord[] = [];
    while (got.length < 10) got.push(...(await first.poll())!);
    await first.close(); // no commit
    const second = consumer();
    got = [];
    while (got.length < 10) got.push(...(await second.poll())!);
    expect(got[0]!.offset).toBe(0);
    await second.commit();
    await second.close();
    await produce(brook, 't', 1, 1, 10);
    const third = consumer();
    got = [];
    while (got.length < 1) got.push(...(await third.poll())!);
    expect(got.map((r) => r.offset)).toEqual([10]);
    await third.close();
  }, 60_000);

  it("starts a partition without a committed offset at the end by default (auto.offset.reset=latest)", async () => {
    brook = await Brook.open({ dataDir: makeTempDir('brook-group-latest-') });
    await brook.admin.createTopic('t', { partitions: 1 });
    await produce(brook, 't', 1, 5);
    const consumer = brook.consumer({ topic: 't', groupId: 'late', ...FAST });
    await waitFor('the assignment', async () => ((await consumer.poll()) ?? []).length === 0 && consumer.groupMember!.assignment().length === 1);
    await produce(brook, 't', 1, 1, 5);
    let got: ConsumerRecord[] = [];
    while (got.length < 1) got = (await consumer.poll())!;
    expect(got.map((r) => r.offset)).toEqual([5]);
    await consumer.close();
  }, 60_000);

  it('rejects options that contradict a group', async () => {
    brook = await Brook.open({ dataDir: makeTempDir('brook-group-opts-') });
    expect(() => brook!.consumer({ topic: 't', groupId: 'g', partitions: [0] })).toThrow(/exclude each other/);
    expect(() => brook!.consumer({ topic: 't', groupId: 'g', from: { offset: 3 } })).toThrow(/'beginning' or 'end'/);
  });
});
