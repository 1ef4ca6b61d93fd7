/** Requests that fail leave the coordinator as it was: bad input and failed writes change nothing. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { joinRequest, makeCoordinator } from './harness.js';

const simpleCommit = (groupId: string, partitionIndex: number, committedOffset: number) => ({
  groupId, generationIdOrMemberEpoch: -1, memberId: '',
  topics: [{ name: 'orders', partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
});

describe('failed requests change nothing', () => {
  it('a JoinGroup refused for its session timeout or protocols does not create the group', async () => {
    const { coordinator: c } = makeCoordinator();
    const ctx = { clientId: 'c', clientHost: 'h' };
    const tooShort = await c.joinGroup(5, joinRequest('short', '', { sessionTimeoutMs: 1 }), ctx);
    expect(tooShort.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    const noType = await c.joinGroup(5, joinRequest('untyped', '', { protocolType: '' }), ctx);
    expect(noType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noProtocols = await c.joinGroup(5, joinRequest('bare', '', { protocols: [] }), ctx);
    expect(noProtocols.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(c.group('short')).toBeUndefined();
    expect(c.group('untyped')).toBeUndefined();
    expect(c.group('bare')).toBeUndefined();
    expect(c.listGroups(4, {}).groups).toEqual([]);
  });

  it('a DeleteGroups whose tombstones cannot be written keeps the group and its offsets, so a retry deletes it', async () => {
    const { coordinator: c, store, clock } = makeCoordinator();
    await c.offsetCommit(6, simpleCommit('g', 0, 42));
    const emptySinceMs = c.group('g')!.currentStateTimestampMs;
    clock.advance(60_000);
    store.failWrites = true;
    const failed = await c.deleteGroups(1, { groupsNames: ['g'] });
    expect(failed.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }]);
    expect(c.group('g')?.state).toBe('Empty');
    expect(c.group('g')!.currentStateTimestampMs).toBe(emptySinceMs); // its offsets-retention clock did not restart
    expect(c.offsetFetch(4, { groupId: 'g', topics: null }).topics[0]!.partitions[0]!.committedOffset).toBe(42);
    store.failWrites = false;
    const retried = await c.deleteGroups(1, { groupsNames: ['g'] });
    expect(retried.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(c.group('g')).toBeUndefined();
    expect(c.offsetFetch(4, { groupId: 'g', topics: null }).topics).toEqual([]);
  });
});
