import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeGroupRecord, encodeGroupRecord, offsetRecordBytesMax, type GroupRecord } from '../../src/groups/group-record.js';
import { GroupCoordinator } from '../../src/groups/group-coordinator.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { encodeRecordBatches } from '../../src/protocol/record-batch.js';
import { flush, joinRequest, makeCoordinator, subscription, track, TOPICS } from './harness.js';

const commit = (groupId: string, parts: [string, number, number, string | null][], over: object = {}) => ({
  groupId,
  generationIdOrMemberEpoch: -1,
  memberId: '',
  topics: [...new Set(parts.map((p) => p[0]))].map((name) => ({
    name,
    partitions: parts.filter((p) => p[0] === name).map(([, partitionIndex, committedOffset, committedMetadata]) => ({
      partitionIndex, committedOffset, committedLeaderEpoch: 4, committedMetadata,
    })),
  })),
  ...over,
});
const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

/** A Stable consumer group "g" with one member subscribed to "orders". */
async function stableConsumer(c: GroupCoordinator) {
  const j = await c.joinGroup(3, joinRequest('g', ''), { clientId: 'c', clientHost: 'h' });
  await c.syncGroup(3, { groupId: 'g', generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }] });
  return j;
}

describe('OffsetCommit and OffsetFetch', () => {
  it('a simple commit (generation -1, no member) creates an Empty group and is fetched back', async () => {
    const { coordinator: c } = makeCoordinator();
    const r = await c.offsetCommit(6, commit('simple', [['orders', 0, 42, 'm'], ['orders', 1, 7, null]]));
    expect(codes(r)).toEqual([0, 0]);
    expect(c.group('simple')!.state).toBe('Empty');
    const f = c.offsetFetch(4, { groupId: 'simple', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }] });
    expect(f.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 4, metadata: 'm', errorCode: 0 },
      { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: 4, metadata: '', errorCode: 0 },
      { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    const all = c.offsetFetch(4, { groupId: 'simple', topics: null });
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['orders', [42, 7]]]);
    const v8 = c.offsetFetch(8, { groups: [{ groupId: 'simple', topics: null }] });
    expect(v8.groups[0]!.topics).toEqual(all.topics);
  });

  it('rejects per partition: unknown topic, metadata over offset.metadata.max.bytes', async () => {
    const { coordinator: c } = makeCoordinator();
    const r = await c.offsetCommit(6, commit('g', [['orders', 0, 1, 'x'.repeat(4097)], ['nope', 0, 1, ''], ['orders', 9, 1, ''], ['orders', 1, 5, 'x'.repeat(4096)]]));
    // Answered per topic in request order: orders 0, 9, 1, then nope 0.
    expect(codes(r)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const f = c.offsetFetch(4, { groupId: 'g', topics: null });
    expect(f.topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex))).toEqual([1]);
  });

  it('refuses a commit too large for one write of the offsets log with INVALID_COMMIT_OFFSET_SIZE, storing none of it', async () => {
    const one = offsetRecordBytesMax(Buffer.byteLength('g'), 'orders', '');
    const { coordinator: c, store } = makeCoordinator({}, { maxWriteBytes: 2 * one });
    const refused = await c.offsetCommit(6, commit('g', [['orders', 0, 1, ''], ['nope', 0, 1, ''], ['orders', 1, 2, ''], ['orders', 2, 3, '']]));
    expect(codes(refused)).toEqual([ErrorCode.INVALID_COMMIT_OFFSET_SIZE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(store.records).toEqual([]);
    expect(c.offsetFetch(4, { groupId: 'g', topics: null }).topics).toEqual([]);
    expect(codes(await c.offsetCommit(6, commit('g', [['orders', 0, 1, ''], ['orders', 1, 2, '']])))).toEqual([0, 0]); // exactly the limit
    expect(store.records).toHaveLength(2);
    // The bound holds for the real encoding, even with each record in a batch of its own.
    for (const maxBatchBytes of [1 << 20, 1]) {
      expect(encodeRecordBatches(store.records.map((r) => encodeGroupRecord(r)), maxBatchBytes).length).toBeLessThanOrEqual(2 * one);
    }
  });

  it('answers a commit only after the store made it durable, and not at all visible if the write fails', async () => {
    const { coordinator: c, store } = makeCoordinator();
    store.hold = true;
    const pending = track(c.offsetCommit(6, commit('g', [['orders', 0, 10, '']])));
    await flush();
    expect(pending.done).toBe(false);
    store.release();
    await flush();
    expect(codes(pending.value)).toEqual([0]);
    store.hold = false;
    store.failWrites = true;
    const failed = await c.offsetCommit(6, commit('g', [['orders', 0, 11, '']]));
    expect(codes(failed)).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect(c.offsetFetch(4, { groupId: 'g', topics: null }).topics[0]!.partitions[0]!.committedOffset).toBe(10);
  });

  it('checks member and generation for group commits', async () => {
    const { coordinator: c } = makeCoordinator();
    expect(codes(await c.offsetCommit(6, commit('none', [['orders', 0, 1, '']], { generationIdOrMemberEpoch: 3, memberId: 'm' }))))
      .toEqual([ErrorCode.ILLEGAL_GENERATION]);
    const j = await c.joinGroup(3, joinRequest('g', ''), { clientId: 'c', clientHost: 'h' });
    const as = (over: object) => c.offsetCommit(6, commit('g', [['orders', 0, 1, '']], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId, ...over }));
    expect(codes(await as({}))).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]); // joined, not yet synced
    await c.syncGroup(3, { groupId: 'g', generationId: j.generationId, memberId: j.memberId, assignments: [] });
    expect(codes(await as({}))).toEqual([0]);
    expect(codes(await as({ generationIdOrMemberEpoch: j.generationId + 1 }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(codes(await as({ memberId: 'other' }))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // A simple commit is only for groups without members.
    expect(codes(await as({ generationIdOrMemberEpoch: -1, memberId: '' }))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
  });
});

describe('ListGroups, DescribeGroups, DeleteGroups, OffsetDelete', () => {
  it('lists groups with their state, filtered by state when asked (v4+)', async () => {
    const { coordinator: c } = makeCoordinator();
    await stableConsumer(c);
    await c.offsetCommit(6, commit('simple', [['orders', 0, 1, '']]));
    const all = c.listGroups(2, {});
    expect(all.groups.map((g) => [g.groupId, g.protocolType])).toEqual([['g', 'consumer'], ['simple', '']]);
    expect(c.listGroups(4, { statesFilter: ['stable'] }).groups.map((g) => g.groupId)).toEqual(['g']);
    expect(c.listGroups(4, { statesFilter: ['Empty'] }).groups.map((g) => g.groupState)).toEqual(['Empty']);
    expect(c.listGroups(2, { statesFilter: ['Empty'] }).groups).toHaveLength(2); // no filter before v4
  });

  it('describes a Stable group with member metadata and assignments, and an unknown one as Dead', async () => {
    const { coordinator: c } = makeCoordinator();
    const j = await stableConsumer(c);
    const d = c.describeGroups(2, { groups: ['g', 'missing'] }).groups;
    expect(d[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d[0]!.members).toEqual([{
      memberId: j.memberId, groupInstanceId: null, clientId: 'c', clientHost: 'h',
      memberMetadata: subscription(['orders']), memberAssignment: Buffer.from('A'),
    }]);
    expect(d[1]).toMatchObject({ errorCode: 0, groupId: 'missing', groupState: 'Dead', members: [] });
  });

  it('deletes only Empty groups, with their offsets, writing tombstones', async () => {
    const { coordinator: c, store } = makeCoordinator();
    await stableConsumer(c);
    await c.offsetCommit(6, commit('simple', [['orders', 0, 1, ''], ['payments', 2, 5, '']]));
    const r = await c.deleteGroups(1, { groupsNames: ['g', 'simple', 'missing'] });
    expect(r.results).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'simple', errorCode: 0 },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(c.group('simple')).toBeUndefined();
    expect(c.offsetFetch(4, { groupId: 'simple', topics: null }).topics).toEqual([]);
    const tombstones = store.records.filter((x) => x.groupId === 'simple' && x.value === null);
    expect(tombstones.map((t) => t.type).sort()).toEqual(['group', 'offset', 'offset']);
  });

  it('OffsetDelete refuses topics a live consumer group subscribes to and deletes the rest', async () => {
    const { coordinator: c, store } = makeCoordinator();
    const j = await stableConsumer(c);
    await c.offsetCommit(6, commit('g', [['orders', 0, 3, ''], ['old', 1, 9, '']], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId }));
    const r = await c.offsetDelete(0, { groupId: 'g', topics: [
      { name: 'orders', partitions: [{ partitionIndex: 0 }] },
      { name: 'old', partitions: [{ partitionIndex: 1 }] },
      { name: 'gone', partitions: [{ partitionIndex: 0 }] },
    ] });
    expect(r.errorCode).toBe(0);
    expect(codes(r)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(c.offsetFetch(4, { groupId: 'g', topics: null }).topics.map((t) => t.name)).toEqual(['orders']);
    expect(store.records.at(-1)).toEqual({ type: 'offset', groupId: 'g', topic: 'old', partition: 1, value: null });
    expect((await c.offsetDelete(0, { groupId: 'missing', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('OffsetDelete answers NON_EMPTY_GROUP for a live group of another protocol type', async () => {
    const { coordinator: c } = makeCoordinator();
    await c.joinGroup(3, joinRequest('conn', '', { protocolType: 'connect' }), { clientId: 'c', clientHost: 'h' });
    expect((await c.offsetDelete(0, { groupId: 'conn', topics: [] })).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
  });
});

describe('persistence: records, encode/decode, load', () => {
  it('encodes every record kind and decodes it back identically', () => {
    const records: GroupRecord[] = [
      { type: 'offset', groupId: 'g', topic: 't', partition: 3, value: { offset: 2 ** 40, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1_700_000_000_123 } },
      { type: 'offset', groupId: 'g', topic: 't', partition: 3, value: null },
      { type: 'group', groupId: 'g', value: null },
      { type: 'group', groupId: 'g', value: {
        protocolType: 'consumer', generationId: 7, protocolName: 'range', leader: 'm1', currentStateTimestampMs: 99,
        members: [{ memberId: 'm1', groupInstanceId: 'i', clientId: 'c', clientHost: 'h', rebalanceTimeoutMs: 1, sessionTimeoutMs: 2, subscription: Buffer.from('s'), assignment: Buffer.from('a') }],
      } },
    ];
    for (const r of records) {
      const { key, value } = encodeGroupRecord(r);
      expect(decodeGroupRecord(key, value)).toEqual(r);
    }
  });

  it('gives offsets and groups distinct keys per (group) and (group, topic, partition)', () => {
    const key = (r: GroupRecord) => encodeGroupRecord(r).key.toString('hex');
    const keys = new Set([
      key({ type: 'group', groupId: 'g', value: null }),
      key({ type: 'group', groupId: 'h', value: null }),
      key({ type: 'offset', groupId: 'g', topic: 't', partition: 0, value: null }),
      key({ type: 'offset', groupId: 'g', topic: 't', partition: 1, value: null }),
      key({ type: 'offset', groupId: 'g', topic: 'u', partition: 0, value: null }),
    ]);
    expect(keys.size).toBe(5);
  });

  it('rejects bytes it did not write with DecodeError', () => {
    expect(() => decodeGroupRecord(Buffer.from('0009', 'hex'), null)).toThrow(DecodeError);
    expect(() => decodeGroupRecord(Buffer.from('000200', 'hex'), null)).toThrow(DecodeError);
    const { key } = encodeGroupRecord({ type: 'offset', groupId: 'g', topic: 't', partition: 0, value: null });
    expect(() => decodeGroupRecord(key, Buffer.from('0003', 'hex'))).toThrow(DecodeError);
  });

  it('load() of the encoded, decoded log rebuilds the same groups and offsets; tombstones delete', async () => {
    const { coordinator: c, store, clock } = makeCoordinator();
    const j = await stableConsumer(c);
    const member = { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId };
    await c.offsetCommit(6, commit('g', [['orders', 0, 3, 'a'], ['old', 1, 9, '']], member));
    await c.offsetCommit(6, commit('g', [['orders', 0, 4, 'b']], member));
    await c.offsetDelete(0, { groupId: 'g', topics: [{ name: 'old', partitions: [{ partitionIndex: 1 }] }] });
    await c.offsetCommit(6, commit('simple', [['payments', 2, 5, '']]));
    await c.offsetCommit(6, commit('deleted', [['payments', 0, 1, '']]));
    await c.deleteGroups(1, { groupsNames: ['deleted'] });

    const log = store.records.map((r) => encodeGroupRecord(r)).map(({ key, value }) => decodeGroupRecord(key, value));
    const reloaded = new GroupCoordinator({ clock, store, topicExists: (t, p) => p < (TOPICS.get(t) ?? 0) });
    reloaded.load(log);

    const view = (x: GroupCoordinator) => ({
      list: x.listGroups(2, {}),
      describe: x.describeGroups(2, { groups: ['g', 'simple', 'deleted'] }),
      offsets: ['g', 'simple', 'deleted'].map((groupId) => x.offsetFetch(4, { groupId, topics: null })),
      value: x.group('g')!.toValue(),
    });
    expect(view(reloaded)).toEqual(view(c));
    expect(reloaded.group('deleted')).toBeUndefined();
    // The restored member keeps its generation: its heartbeat is accepted.
    expect(reloaded.heartbeat(3, { groupId: 'g', generationId: j.generationId, memberId: j.memberId }).errorCode).toBe(0);
  });
});
