/**
 * Offsets retention (Kafka's offsets.retention.minutes, KIP-211) on a ManualClock: which offsets
 * expire when, that an Empty group left without offsets is removed, that the tombstones replay to
 * the same state, and that a failed tombstone write or a commit in flight leaves things alone.
 */
import { describe, expect, it } from 'vitest';
import { GroupCoordinator } from '../../src/groups/group-coordinator.js';
import { ManualClock } from '../../src/common/clock.js';
import { MESSAGE_MAX_BYTES_DEFAULT } from '../../src/common/limits.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { encodeGroupRecord, type GroupRecord } from '../../src/groups/group-record.js';
import { flush, joinRequest, makeCoordinator, MemoryStore, subscription, track, TOPICS } from './harness.js';

const RETENTION_MS = 60_000;
const CHECK_MS = 1_000;

const simpleCommit = (groupId: string, topic: string, partitionIndex: number, committedOffset: number, member?: { generation: number; memberId: string }) => ({
  groupId,
  generationIdOrMemberEpoch: member?.generation ?? -1,
  memberId: member?.memberId ?? '',
  topics: [{ name: topic, partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
});

function committed(c: GroupCoordinator, groupId: string): string[] {
  return c.offsetFetch(4, { groupId, topics: null }).topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.committedOffset}`));
}

function retentionCoordinator() {
  return makeCoordinator({ offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: CHECK_MS });
}

describe('offsets retention', () => {
  it('expires offsets committed without joining one by one, by commit time, then removes the group', async () => {
    const { coordinator: c, clock, store } = retentionCoordinator();
    await c.offsetCommit(6, simpleCommit('simple', 'orders', 0, 10));
    clock.advance(RETENTION_MS / 2);
    await c.offsetCommit(6, simpleCommit('simple', 'orders', 1, 20));
    clock.advance(RETENTION_MS / 2 - 1);
    expect(await c.expireOffsets()).toEqual({ offsetCount: 0, groupIds: [] });
    clock.advance(1);
    expect(await c.expireOffsets()).toEqual({ offsetCount: 1, groupIds: [] });
    expect(committed(c, 'simple')).toEqual(['orders-1:20']);
    clock.advance(RETENTION_MS / 2);
    expect(await c.expireOffsets()).toEqual({ offsetCount: 1, groupIds: ['simple'] });
    expect(c.group('simple')).toBeUndefined();
    expect(c.listGroups(4, {}).groups).toEqual([]);
    // The log says the same: a coordinator replaying it has nothing.
    const replayed = new GroupCoordinator({ clock, store, topicExists: (t, p) => p < (TOPICS.get(t) ?? 0) });
    replayed.load(store.records);
    expect(replayed.group('simple')).toBeUndefined();
    expect(committed(replayed, 'simple')).toEqual([]);
  });

  it('keeps a live consumer group\'s offsets for subscribed topics, expires the others, and all of them once it has been Empty for the retention', async () => {
    const { coordinator: c, clock } = retentionCoordinator();
    const j = await c.joinGroup(3, joinRequest('g', ''), { clientId: 'c', clientHost: 'h' }); // subscribed to orders
    await c.syncGroup(3, { groupId: 'g', generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: Buffer.alloc(0) }] });
    const member = { generation: j.generationId, memberId: j.memberId };
    await c.offsetCommit(6, simpleCommit('g', 'orders', 0, 5, member));
    await c.offsetCommit(6, simpleCommit('g', 'payments', 0, 6, member));
    clock.advance(RETENTION_MS);
    expect(await c.expireOffsets()).toEqual({ offsetCount: 1, groupIds: [] });
    expect(committed(c, 'g')).toEqual(['orders-0:5']);
    expect(c.group('g')!.state).toBe('Stable');

    c.leaveGroup(1, { groupId: 'g', memberId: j.memberId });
    expect(c.group('g')!.state).toBe('Empty');
    clock.advance(RETENTION_MS - 1); // the commit is older than that, but the group only just emptied
    expect(await c.expireOffsets()).toEqual({ offsetCount: 0, groupIds: [] });
    clock.advance(1);
    expect(await c.expireOffsets()).toEqual({ offsetCount: 1, groupIds: ['g'] });
    expect(c.group('g')).toBeUndefined();
  });

  it('runs from tick(), not before offsets.retention.check.interval.ms has passed', async () => {
    const { coordinator: c, clock } = makeCoordinator({ offsetsRetentionMs: 1_000, offsetsRetentionCheckIntervalMs: 60_000 });
    await c.offsetCommit(6, simpleCommit('t', 'orders', 0, 1));
    clock.advance(59_999); // long expired, but the first check is due at 60 s
    c.tick();
    await flush();
    expect(committed(c, 't')).toEqual(['orders-0:1']);
    clock.advance(1);
    c.tick();
    await flush();
    expect(c.group('t')).toBeUndefined();
  });

  it('changes nothing when the tombstones cannot be written, and the next check retries', async () => {
    const { coordinator: c, clock, store } = retentionCoordinator();
    await c.offsetCommit(6, simpleCommit('f', 'orders', 0, 3));
    clock.advance(RETENTION_MS);
    store.failWrites = true;
    expect(await c.expireOffsets()).toEqual({ offsetCount: 0, groupIds: [] });
    expect(committed(c, 'f')).toEqual(['orders-0:3']);
    expect(c.group('f')!.state).toBe('Empty');
    store.failWrites = false;
    expect(await c.expireOffsets()).toEqual({ offsetCount: 1, groupIds: ['f'] });
  });

  it('leaves a group alone while one of its commits is being written', async () => {
    const { coordinator: c, clock, store } = retentionCoordinator();
    await c.offsetCommit(6, simpleCommit('p', 'orders', 0, 1));
    clock.advance(RETENTION_MS);
    store.hold = true;
    const inFlight = track(c.offsetCommit(6, simpleCommit('p', 'orders', 1, 2)));
    await flush();
    const expiring = c.expireOffsets();
    store.release();
    expect(await expiring).toEqual({ offsetCount: 0, groupIds: [] });
    await flush();
    expect(inFlight.done).toBe(true);
    expect(committed(c, 'p')).toEqual(['orders-0:1', 'orders-1:2']);
  });

  it('keeps a rebalancing group\'s offsets for topics outside its old subscription (Stable only, KAFKA-13636)', async () => {
    const { coordinator: c, clock } = retentionCoordinator();
    const ctx = { clientId: 'c', clientHost: 'h' };
    const first = await c.joinGroup(3, joinRequest('r', ''), ctx);
    await c.syncGroup(3, { groupId: 'r', generationId: first.generationId, memberId: first.memberId, assignments: [{ memberId: first.memberId, assignment: Buffer.alloc(0) }] });
    await c.offsetCommit(6, simpleCommit('r', 'payments', 0, 9, { generation: first.generationId, memberId: first.memberId }));
    clock.advance(RETENTION_MS);
    // A second member subscribing to both topics: the group waits for the first one to rejoin.
    void c.joinGroup(3, joinRequest('r', '', { protocols: [{ name: 'range', metadata: subscription(['orders', 'payments']) }] }), ctx);
    await flush();
    expect(c.group('r')!.state).toBe('PreparingRebalance');
    expect(await c.expireOffsets()).toEqual({ offsetCount: 0, groupIds: [] });
    expect(committed(c, 'r')).toEqual(['payments-0:9']);
  });

  it('writes the tombstones of a big group in batches that fit max.message.bytes', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStore();
    const writes: number[] = [];
    const counting = { write: (records: GroupRecord[]) => (writes.push(records.length), store.write(records)) };
    const c = new GroupCoordinator({ clock, store: counting, topicExists: () => true, config: { offsetsRetentionMs: RETENTION_MS } });
    const partitions = Array.from({ length: 2500 }, (_, partitionIndex) => ({ partitionIndex, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }));
    await c.offsetCommit(6, { groupId: 'big', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'wide', partitions }] });
    clock.advance(RETENTION_MS);
    writes.length = 0;
    expect(await c.expireOffsets()).toEqual({ offsetCount: 2500, groupIds: ['big'] });
    expect(writes).toEqual([1000, 1000, 501]);
    const encoded = encodeRecordBatch(store.records.slice(-1000).map((r) => encodeGroupRecord(r)));
    expect(encoded.length).toBeLessThan(MESSAGE_MAX_BYTES_DEFAULT);
  });

  it('keeps an offset committed again between two of its group\'s tombstone writes, in memory and after a replay', async () => {
    // 1001 expired offsets take two writes; partition 0's tombstone is in the first, and a commit
    // of partition 0 lands in the log between the two, so memory must keep it as the log will.
    const clock = new ManualClock(0);
    const store = new MemoryStore();
    const c = new GroupCoordinator({ clock, store, topicExists: () => true, config: { offsetsRetentionMs: RETENTION_MS } });
    const partitions = Array.from({ length: 1001 }, (_, partitionIndex) => ({ partitionIndex, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }));
    await c.offsetCommit(6, { groupId: 'race', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'wide', partitions }] });
    clock.advance(RETENTION_MS);
    store.hold = true;
    const expiring = c.expireOffsets();
    await flush(); // the first 1000 tombstones wait in the store
    const recommit = c.offsetCommit(6, simpleCommit('race', 'wide', 0, 2));
    await flush(); // the commit waits behind them
    store.release(); // both written, in that order; expiry sends its second write, held again
    await flush();
    expect(committed(c, 'race')).toContain('wide-0:2');
    store.release();
    expect(await expiring).toEqual({ offsetCount: 1000, groupIds: [] });
    await recommit;
    expect(committed(c, 'race')).toEqual(['wide-0:2']);
    expect(c.group('race')!.state).toBe('Empty');
    const replayed = new GroupCoordinator({ clock, store, topicExists: () => true });
    replayed.load(store.records);
    expect(committed(replayed, 'race')).toEqual(['wide-0:2']);
  });
});
