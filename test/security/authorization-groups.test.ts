/**
 * Group-level authorization (security/group-acls.ts) of a real `brook serve --acl` process, with
 * our KafkaClient logged in as users of different grants (acl-fixture.ts has the table), plus the
 * SaslHandshake v0 path (raw SASL tokens) on a raw socket.
 *
 * Setup commits offsets as admin (a super user) with generation -1, Kafka's "simple" commit to an
 * empty group: a-g1 {a-orders 0:5 1:7, z-secret 0:3}, a-gdel {a-orders 0:1}, z-g {z-secret 0:1},
 * c-g {c-sink 0:0}.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as joinGroup from '../../src/protocol/apis/join-group.js';
import * as metadataApi from '../../src/protocol/apis/metadata.js';
import * as offsetCommit from '../../src/protocol/apis/offset-commit.js';
import * as offsetDelete from '../../src/protocol/apis/offset-delete.js';
import * as saslHandshake from '../../src/protocol/apis/sasl-handshake.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.js';
import { GAF, NONE, TAF, passwordOf, startAclServe, type AclServe, type User } from './acl-fixture.js';

const GROUPS = ['a-g1', 'a-gdel', 'z-g', 'c-g'];
let acl: AclServe;

function commitRequest(groupId: string, offsets: Record<string, number[]>) {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: Object.entries(offsets).map(([name, committed]) => ({
      name,
      partitions: committed.map((committedOffset, partitionIndex) => ({ ...offsetCommit.defaultOffsetCommitRequestPartition(), partitionIndex, committedOffset })),
    })),
  };
}

function codesOf(response: { topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }): string[] {
  return response.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`));
}

async function committed(user: User, groupId: string, topics: Record<string, number[]> | null) {
  const response = await acl.as(user).offsetFetch({
    groupId,
    topics: topics === null ? null : Object.entries(topics).map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
  });
  return { errorCode: response.errorCode, offsets: response.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.committedOffset}/${p.errorCode}`)) };
}

beforeAll(async () => {
  acl = await startAclServe({ 'a-orders': 2, 'z-secret': 1, 'c-sink': 1 });
  const setup: [string, Record<string, number[]>][] = [
    ['a-g1', { 'a-orders': [5, 7], 'z-secret': [3] }], ['a-gdel', { 'a-orders': [1] }], ['z-g', { 'z-secret': [1] }], ['c-g', { 'c-sink': [0] }],
  ];
  for (const [groupId, offsets] of setup) {
    const response = await acl.as('admin').offsetCommit(commitRequest(groupId, offsets));
    if (codesOf(response).some((code) => !code.endsWith(`:${NONE}`))) throw new Error(`setup commit to ${groupId}: ${codesOf(response)}`);
  }
}, 60_000);

afterAll(async () => {
  await acl?.stop();
});

describe('group membership APIs under ACLs', () => {
  it.each([
    ['alice', 'a-g1', NONE], ['bob', 'a-g1', NONE], ['root', 'z-g', NONE],
    ['eve', 'a-g1', GAF], ['carol', 'a-g1', GAF], ['alice', 'z-g', GAF],
  ] as const)('FindCoordinator for %s and group %s answers error %i', async (user, key, errorCode) => {
    const response = await acl.as(user).findCoordinator({ key, keyType: 0 });
    expect(response.errorCode).toBe(errorCode);
    expect(response.nodeId).toBe(errorCode === NONE ? 0 : -1);
  });

  const join = (user: User, groupId: string, memberId = '') => acl.as(user).joinGroup({
    groupId, memberId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer',
    protocols: [{ ...joinGroup.defaultJoinGroupRequestProtocol(), name: 'range', metadata: Buffer.alloc(0) }],
  });

  // bob may only describe a-* groups; eve and carol have nothing on them. Membership needs read.
  it.each(['bob', 'eve', 'carol'] as const)('refuses %s JoinGroup, SyncGroup, Heartbeat and LeaveGroup with GROUP_AUTHORIZATION_FAILED', async (user) => {
    const client = acl.as(user);
    const joined = await join(user, 'a-live', 'someone');
    expect([joined.errorCode, joined.memberId]).toEqual([GAF, 'someone']);
    expect((await client.syncGroup({ groupId: 'a-live', generationId: 1, memberId: 'someone', assignments: [] })).errorCode).toBe(GAF);
    expect((await client.heartbeat({ groupId: 'a-live', generationId: 1, memberId: 'someone' })).errorCode).toBe(GAF);
    expect((await client.leaveGroup({ groupId: 'a-live', memberId: 'someone', members: [] })).errorCode).toBe(GAF);
  });

  it("lets alice join, sync, heartbeat and leave an a- group, and refuses bob the same calls with alice's member id", async () => {
    let joined = await join('alice', 'a-live');
    if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) joined = await join('alice', 'a-live', joined.memberId);
    expect(joined.errorCode).toBe(NONE);
    const { memberId, generationId } = joined;
    const synced = await acl.as('alice').syncGroup({ groupId: 'a-live', generationId, memberId, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment: Buffer.alloc(0) }] });
    expect(synced.errorCode).toBe(NONE);
    expect((await acl.as('bob').heartbeat({ groupId: 'a-live', generationId, memberId })).errorCode).toBe(GAF);
    expect((await acl.as('bob').leaveGroup({ groupId: 'a-live', memberId, members: [] })).errorCode).toBe(GAF);
    expect((await acl.as('alice').heartbeat({ groupId: 'a-live', generationId, memberId })).errorCode).toBe(NONE);
    expect((await acl.as('alice').leaveGroup({ groupId: 'a-live', memberId, members: [] })).errorCode).toBe(NONE);
  });
});

describe('offsets under ACLs', () => {
  it('OffsetCommit needs group read (else GROUP_AUTHORIZATION_FAILED on every partition) and topic read per topic', async () => {
    const commitAs = async (user: User, groupId: string, offsets: Record<string, number[]>) => codesOf(await acl.as(user).offsetCommit(commitRequest(groupId, offsets)));
    expect(await commitAs('bob', 'a-g1', { 'a-orders': [9, 9] })).toEqual([`a-orders-0:${GAF}`, `a-orders-1:${GAF}`]);
    expect(await commitAs('eve', 'a-g1', { 'a-orders': [9] })).toEqual([`a-orders-0:${GAF}`]);
    // carol may read group c-g but has only write on c-sink and nothing on a-orders.
    expect(await commitAs('carol', 'c-g', { 'c-sink': [9], 'a-orders': [9] })).toEqual([`c-sink-0:${TAF}`, `a-orders-0:${TAF}`]);
    // The allowed topic is committed, the denied one answered TOPIC_AUTHORIZATION_FAILED.
    expect(await commitAs('alice', 'a-g1', { 'z-secret': [8], 'a-orders': [2] })).toEqual([`z-secret-0:${TAF}`, `a-orders-0:${NONE}`]);
    expect((await committed('admin', 'a-g1', { 'a-orders': [0, 1], 'z-secret': [0] })).offsets).toEqual([`a-orders-0:2/${NONE}`, `a-orders-1:7/${NONE}`, `z-secret-0:3/${NONE}`]);
    expect((await committed('admin', 'c-g', { 'c-sink': [0] })).offsets).toEqual([`c-sink-0:0/${NONE}`]);
  });

  it('OffsetFetch needs group describe (GROUP_AUTHORIZATION_FAILED) and topic describe per topic', async () => {
    const named = { 'a-orders': [1], 'z-secret': [0] };
    // v2+: the group's error at the top level and no partitions (Kafka's OffsetFetchRequest.getErrorResponse).
    expect(await committed('eve', 'a-g1', named)).toEqual({ errorCode: GAF, offsets: [] });
    expect((await committed('carol', 'a-g1', named)).errorCode).toBe(GAF);
    expect(await committed('bob', 'a-g1', named)).toEqual({ errorCode: NONE, offsets: [`a-orders-1:7/${NONE}`, `z-secret-0:-1/${TAF}`] });
    expect(await committed('root', 'a-g1', named)).toEqual({ errorCode: NONE, offsets: [`a-orders-1:7/${NONE}`, `z-secret-0:3/${NONE}`] });
  });

  it('OffsetFetch of all topics leaves out the topics the user may not describe', async () => {
    const all = async (user: User) => (await committed(user, 'a-g1', null)).offsets.sort();
    expect(await all('bob')).toEqual([`a-orders-0:2/${NONE}`, `a-orders-1:7/${NONE}`]);
    expect(await all('admin')).toEqual([`a-orders-0:2/${NONE}`, `a-orders-1:7/${NONE}`, `z-secret-0:3/${NONE}`]);
  });
  it('OffsetDelete needs group delete (GROUP_AUTHORIZATION_FAILED) and topic read per topic', async () => {
    const deleteAs = (user: User, groupId: string, topics: string[]) => acl.as(user).call(offsetDelete, {
      groupId,
      topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0 }] })),
    });
    for (const user of ['bob', 'eve'] as const) expect([user, (await deleteAs(user, 'a-gdel', ['a-orders'])).errorCode]).toEqual([user, GAF]);
    const response = await deleteAs('alice', 'z-g', ['z-secret']);
    expect(response.errorCode).toBe(GAF);
    expect((await committed('admin', 'z-g', { 'z-secret': [0] })).offsets).toEqual([`z-secret-0:1/${NONE}`]);
    const mixed = await deleteAs('alice', 'a-g1', ['z-secret', 'a-orders']);
    expect([mixed.errorCode, ...codesOf(mixed)]).toEqual([NONE, `z-secret-0:${TAF}`, `a-orders-0:${NONE}`]);
    expect((await committed('admin', 'a-g1', { 'a-orders': [0], 'z-secret': [0] })).offsets).toEqual([`a-orders-0:-1/${NONE}`, `z-secret-0:3/${NONE}`]);
  });
});

describe('group admin APIs under ACLs', () => {
  it('DescribeGroups answers GROUP_AUTHORIZATION_FAILED per group the user may not describe, in request order', async () => {
    const describeAs = async (user: User) =>
      (await acl.as(user).describeGroups({ groups: ['z-g', 'a-g1'] })).groups.map((g) => `${g.groupId}:${g.errorCode}`);
    expect(await describeAs('bob')).toEqual([`z-g:${GAF}`, `a-g1:${NONE}`]);
    expect(await describeAs('eve')).toEqual([`z-g:${GAF}`, `a-g1:${GAF}`]);
    expect(await describeAs('admin')).toEqual([`z-g:${NONE}`, `a-g1:${NONE}`]);
  });

  it.each([
    ['admin', GROUPS], ['root', GROUPS], ['alice', ['a-g1', 'a-gdel']], ['bob', ['a-g1', 'a-gdel']], ['carol', ['c-g']], ['eve', []],
  ] as const)('ListGroups shows %s only the groups it may describe', async (user, expected) => {
    const listed = (await acl.as(user).listGroups()).groups.map((g) => g.groupId).filter((id) => GROUPS.includes(id));
    expect(listed.sort()).toEqual([...expected].sort());
  });

  it('DeleteGroups deletes only the groups a user may delete, answering GROUP_AUTHORIZATION_FAILED for the rest', async () => {
    for (const user of ['bob', 'eve', 'carol'] as const) {
      const response = await acl.as(user).deleteGroups({ groupsNames: ['a-gdel'] });
      expect([user, response.results.map((r) => r.errorCode)]).toEqual([user, [GAF]]);
    }
    const response = await acl.as('alice').deleteGroups({ groupsNames: ['z-g', 'a-gdel'] });
    expect(response.results.map((r) => `${r.groupId}:${r.errorCode}`)).toEqual([`z-g:${GAF}`, `a-gdel:${NONE}`]);
    const left = (await acl.as('admin').listGroups()).groups.map((g) => g.groupId);
    expect(left).toContain('z-g');
    expect(left).not.toContain('a-gdel');
  });
});

/** Size-prefixed frames off a raw socket, one at a time. */
function frameReader(socket: net.Socket): () => Promise<Buffer | null> {
  let pending = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => { pending = Buffer.concat([pending, chunk]); wake?.(); });
  socket.on('close', () => { closed = true; wake?.(); });
  return async () => {
    for (;;) {
      if (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        return frame;
      }
      if (closed) return null;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

describe('SaslHandshake v0 (raw SASL tokens)', () => {
  async function rawLogin(user: string, password: string) {
    const socket = net.connect(acl.server.port, acl.server.host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const next = frameReader(socket);
    socket.write(Buffer.concat(encodeRequestFrame(saslHandshake.API_KEY, 0, 1, 'raw', { mechanism: 'PLAIN' })));
    const handshake = decodeResponseFrame((await next())!, saslHandshake.API_KEY, 0);
    expect((handshake.body as saslHandshake.SaslHandshakeResponse).errorCode).toBe(NONE);
    const token = Buffer.from(`\u0000${user}\u0000${password}`, 'utf8');
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length, 0);
    socket.write(Buffer.concat([size, token]));
    return { socket, next };
  }

  it('authenticates with a bare PLAIN token and then applies that user\'s ACLs', async () => {
    const { socket, next } = await rawLogin('bob', passwordOf('bob'));
    try {
      expect((await next())!.length).toBe(0); // PLAIN's empty server answer, size-prefixed
      const topics = ['a-orders', 'z-secret'].map((name) => ({ ...metadataApi.defaultMetadataRequestTopic(), name }));
      socket.write(Buffer.concat(encodeRequestFrame(metadataApi.API_KEY, 1, 2, 'raw', { ...metadataApi.defaultMetadataRequest(), topics })));
      const { correlationId, body } = decodeResponseFrame((await next())!, metadataApi.API_KEY, 1);
      expect(correlationId).toBe(2);
      expect((body as metadataApi.MetadataResponse).topics.map((t) => `${t.name}:${t.errorCode}`)).toEqual([`a-orders:${NONE}`, `z-secret:${TAF}`]);
    } finally {
      socket.destroy();
    }
  });

  it('closes the connection after a bare token with a wrong password, answering nothing', async () => {
    const { socket, next } = await rawLogin('bob', 'wrong');
    try {
      expect(await next()).toBeNull();
    } finally {
      socket.destroy();
    }
  });
});
