/**
 * The group and admin behaviours that newer API versions add, over a real socket against a real
 * server: ListGroups v4 states filter (KIP-518) and v5 types filter, DescribeGroups v4+ with
 * group.instance.id (KIP-345), LeaveGroup v3+ removing static members in one batch, CreateTopics
 * v4+ with -1 meaning the broker defaults (KIP-464), FindCoordinator's null errorMessage and v4
 * batches (KIP-699), OffsetFetch with topics = null at every version (flexible ones included) and
 * v8 with several groups (KIP-709). Needs `npx tsc -p tsconfig.json` (dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as describeGroups from '../../src/protocol/apis/describe-groups.js';
import * as findCoordinator from '../../src/protocol/apis/find-coordinator.js';
import * as joinGroup from '../../src/protocol/apis/join-group.js';
import * as leaveGroup from '../../src/protocol/apis/leave-group.js';
import * as listGroups from '../../src/protocol/apis/list-groups.js';
import * as offsetCommit from '../../src/protocol/apis/offset-commit.js';
import * as offsetFetch from '../../src/protocol/apis/offset-fetch.js';
import * as syncGroup from '../../src/protocol/apis/sync-group.js';
import { RawClient } from './helpers/raw-client.js';
import { start, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let client: RawClient;

beforeAll(async () => {
  server = await start({ args: ['--num-partitions', '3'], env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
  client = await RawClient.connect(server.port);
  const created = await client.request<createTopics.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopics.defaultRequest(), topics: [{ ...createTopics.defaultCreatableTopic(), name: 'gv', numPartitions: 2, replicationFactor: 1 }],
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
});

afterAll(async () => {
  client?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

/** A one-member group that reaches Stable: JoinGroup v5 (static when `instanceId`), SyncGroup v3. */
async function stableMember(groupId: string, instanceId: string | null): Promise<string> {
  const joined = await client.request<joinGroup.JoinGroupResponse>(ApiKey.JoinGroup, 5, {
    ...joinGroup.defaultRequest(), groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: instanceId,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }],
  });
  let memberId = joined.memberId;
  let generationId = joined.generationId;
  if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    const again = await client.request<joinGroup.JoinGroupResponse>(ApiKey.JoinGroup, 5, {
      ...joinGroup.defaultRequest(), groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: instanceId,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }],
    });
    expect(again.errorCode).toBe(ErrorCode.NONE);
    [memberId, generationId] = [again.memberId, again.generationId];
  } else {
    expect(joined.errorCode).toBe(ErrorCode.NONE);
  }
  const synced = await client.request<syncGroup.SyncGroupResponse>(ApiKey.SyncGroup, 3, {
    ...syncGroup.defaultRequest(), groupId, generationId, memberId, groupInstanceId: instanceId,
    assignments: [{ memberId, assignment: Buffer.alloc(0) }],
  });
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  return memberId;
}

async function commit(groupId: string, topic: string, offsets: number[]): Promise<void> {
  const response = await client.request<offsetCommit.OffsetCommitResponse>(ApiKey.OffsetCommit, 2, {
    ...offsetCommit.defaultRequest(), groupId,
    topics: [{ name: topic, partitions: offsets.map((committedOffset, partitionIndex) => ({ ...offsetCommit.defaultOffsetCommitRequestPartition(), partitionIndex, committedOffset })) }],
  });
  for (const p of response.topics[0]!.partitions) expect(p.errorCode).toBe(ErrorCode.NONE);
}

async function describe1(groupId: string, version: number): Promise<describeGroups.DescribedGroup> {
  const response = await client.request<describeGroups.DescribeGroupsResponse>(ApiKey.DescribeGroups, version, { ...describeGroups.defaultRequest(), groups: [groupId] });
  return response.groups[0]!;
}

describe('group APIs by version', () => {
  it('ListGroups v4 filters by state and v5 by type; older versions list every group', async () => {
    await commit('gv-empty', 'gv', [1]);
    await stableMember('gv-stable', null);
    const list = async (version: number, statesFilter: string[], typesFilter: string[] = []): Promise<string[]> => {
      const response = await client.request<listGroups.ListGroupsResponse>(ApiKey.ListGroups, version, { ...listGroups.defaultRequest(), statesFilter, typesFilter });
      return response.groups.map((g) => g.groupId).filter((id) => id.startsWith('gv-')).sort();
    };
    expect(await list(4, ['Stable'])).toEqual(['gv-stable']);
    expect(await list(4, ['Empty'])).toEqual(['gv-empty']);
    expect(await list(4, ['stable', 'EMPTY'])).toEqual(['gv-empty', 'gv-stable']); // case-insensitive, as Kafka
    expect(await list(5, [], ['consumer'])).toEqual([]);
    expect(await list(5, [], ['classic'])).toEqual(['gv-empty', 'gv-stable']);
    expect(await list(3, [])).toEqual(['gv-empty', 'gv-stable']);
    const states = await client.request<listGroups.ListGroupsResponse>(ApiKey.ListGroups, 4, listGroups.defaultRequest());
    expect(states.groups.find((g) => g.groupId === 'gv-stable')?.groupState).toBe('Stable');
  });

  it('DescribeGroups v4+ reports a static member\'s group.instance.id (none below v4)', async () => {
    const memberId = await stableMember('gv-static', 'instance-1');
    for (const version of [4, 5]) {
      const group = await describe1('gv-static', version);
      expect(group.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[memberId, 'instance-1']]);
    }
    expect((await describe1('gv-static', 3)).members[0]!.groupInstanceId).toBe(null);
  });

  it('LeaveGroup v3+ removes static members by group.instance.id in one batch', async () => {
    await stableMember('gv-batch', 'a');
    const response = await client.request<leaveGroup.LeaveGroupResponse>(ApiKey.LeaveGroup, 4, {
      ...leaveGroup.defaultRequest(), groupId: 'gv-batch',
      members: [{ ...leaveGroup.defaultMemberIdentity(), memberId: '', groupInstanceId: 'a' }, { ...leaveGroup.defaultMemberIdentity(), memberId: '', groupInstanceId: 'unknown' }],
    });
    expect(response.errorCode).toBe(ErrorCode.NONE);
    expect(response.members.map((m) => [m.groupInstanceId, m.errorCode])).toEqual([['a', ErrorCode.NONE], ['unknown', ErrorCode.UNKNOWN_MEMBER_ID]]);
    const group = await describe1('gv-batch', 5);
    expect([group.groupState, group.members.length]).toEqual(['Empty', 0]);
  });

  it('CreateTopics v4+ takes -1 partitions and replication factor as the broker defaults (KIP-464)', async () => {
    for (const version of [4, 5, 7]) {
      const name = `gv-defaults-${version}`;
      const response = await client.request<createTopics.CreateTopicsResponse>(ApiKey.CreateTopics, version, {
        ...createTopics.defaultRequest(), topics: [{ ...createTopics.defaultCreatableTopic(), name, numPartitions: -1, replicationFactor: -1 }],
      });
      const topic = response.topics[0]!;
      expect(topic.errorCode).toBe(ErrorCode.NONE);
      if (version >= 5) expect([topic.numPartitions, topic.replicationFactor]).toEqual([3, 1]);
      if (version >= 7) expect(topic.topicId).not.toBe('00000000-0000-0000-0000-000000000000');
    }
  });

  it('FindCoordinator answers errorMessage null on success (v1-v3) and per key in v4+ batches', async () => {
    for (const version of [1, 2, 3]) {
      const response = await client.request<findCoordinator.FindCoordinatorResponse>(ApiKey.FindCoordinator, version, { ...findCoordinator.defaultRequest(), key: 'gv-any' });
      expect([response.errorCode, response.errorMessage, response.nodeId, response.port]).toEqual([ErrorCode.NONE, null, 0, server.port]);
    }
    const batched = await client.request<findCoordinator.FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, {
      ...findCoordinator.defaultRequest(), keyType: 0, coordinatorKeys: ['g1', 'g2'],
    });
    expect(batched.coordinators.map((c) => [c.key, c.errorCode, c.errorMessage, c.nodeId, c.port])).toEqual([
      ['g1', ErrorCode.NONE, null, 0, server.port], ['g2', ErrorCode.NONE, null, 0, server.port]]);
    const transactional = await client.request<findCoordinator.FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, {
      ...findCoordinator.defaultRequest(), keyType: 1, coordinatorKeys: ['txn'],
    });
    expect(transactional.coordinators[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('OffsetFetch with topics = null returns all of the group\'s offsets at every version that allows null, flexible ones included', async () => {
    await commit('gv-offsets', 'gv', [5, 7]);
    const expected = [['gv', [[0, 5], [1, 7]]]];
    const shape = (topics: offsetFetch.OffsetFetchResponseTopic[]): unknown => topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]);
    for (let version = 2; version <= 7; version++) {
      const response = await client.request<offsetFetch.OffsetFetchResponse>(ApiKey.OffsetFetch, version, { ...offsetFetch.defaultRequest(), groupId: 'gv-offsets', topics: null });
      expect(shape(response.topics), `v${version}`).toEqual(expected);
    }
    for (const version of [8, 9]) {
      const response = await client.request<offsetFetch.OffsetFetchResponse>(ApiKey.OffsetFetch, version, {
        ...offsetFetch.defaultRequest(),
        groups: [{ ...offsetFetch.defaultOffsetFetchRequestGroup(), groupId: 'gv-offsets', topics: null }],
      });
      expect(shape(response.groups[0]!.topics), `v${version}`).toEqual(expected);
    }
  });

  it('OffsetFetch v8 answers several groups, each from the coordinator that owns it', async () => {
    // Many groups spread over the __consumer_offsets partitions (and coordinator workers).
    const groups = Array.from({ length: 12 }, (_, i) => `gv-multi-${i}`);
    for (const [i, groupId] of groups.entries()) await commit(groupId, 'gv', [i]);
    const response = await client.request<offsetFetch.OffsetFetchResponse>(ApiKey.OffsetFetch, 8, {
      ...offsetFetch.defaultRequest(),
      groups: groups.map((groupId) => ({ ...offsetFetch.defaultOffsetFetchRequestGroup(), groupId, topics: [{ name: 'gv', partitionIndexes: [0] }] })),
    });
    expect(response.groups.map((g) => [g.groupId, g.errorCode, g.topics[0]!.partitions[0]!.committedOffset])).toEqual(groups.map((g, i) => [g, 0, i]));
  });
});
