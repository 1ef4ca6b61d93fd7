import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { flush, joinRequest, makeCoordinator, subscription, track } from './harness.js';
import type { GroupCoordinator } from '../../src/groups/group-coordinator.js';

const G = 'g';
const ctx = (clientId: string) => ({ clientId, clientHost: '/127.0.0.1' });

/** JoinGroup v5 for a new dynamic member: the MEMBER_ID_REQUIRED round, then the real join. */
async function newMemberId(c: GroupCoordinator, clientId: string): Promise<string> {
  const first = await c.joinGroup(5, joinRequest(G, ''), ctx(clientId));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return first.memberId;
}

/** Brings up a Stable group of `n` dynamic members (v3, no MEMBER_ID_REQUIRED); returns their ids. */
async function stableGroup(c: GroupCoordinator, n: number): Promise<{ ids: string[]; generationId: number }> {
  let ids: string[] = [];
  for (let i = 0; i < n; i++) {
    // The newcomer first (it starts the rebalance), then the members rejoin, as consumers do.
    const fresh = track(c.joinGroup(3, joinRequest(G, ''), ctx(`c${i}`)));
    const joins = ids.map((id) => track(c.joinGroup(3, joinRequest(G, id))));
    await flush();
    expect(fresh.done).toBe(true);
    for (const j of joins) expect(j.value.errorCode).toBe(ErrorCode.NONE);
    ids = [...ids, fresh.value.memberId];
    await syncAll(c, ids, fresh.value.generationId, fresh.value.leader);
  }
  return { ids, generationId: c.group(G)!.generationId };
}

/** Lets a new group's initial delay (100 ms, extended while members arrive) run out. */
async function settle(c: GroupCoordinator, clock: { advance(ms: number): void }): Promise<void> {
  for (let i = 0; i < 5; i++) {
    clock.advance(100);
    c.tick();
  }
  await flush();
}

async function syncAll(c: GroupCoordinator, ids: string[], generationId: number, leader: string) {
  const assignments = ids.map((memberId) => ({ memberId, assignment: Buffer.from(`a:${memberId}`) }));
  const syncs = ids.map((memberId) =>
    track(c.syncGroup(3, { groupId: G, generationId, memberId, assignments: memberId === leader ? assignments : [] })),
  );
  await flush();
  for (const s of syncs) expect(s.value.errorCode).toBe(ErrorCode.NONE);
  return syncs.map((s) => s.value);
}

describe('JoinGroup and SyncGroup', () => {
  it('a single member becomes leader of generation 1 and receives its own metadata', async () => {
    const { coordinator: c } = makeCoordinator();
    const memberId = await newMemberId(c, 'client-a');
    expect(memberId).toBe('client-a-uuid-1');
    const r = await c.joinGroup(5, joinRequest(G, memberId), ctx('client-a'));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader: memberId, memberId, protocolName: 'range' });
    expect(r.members).toEqual([{ memberId, groupInstanceId: null, metadata: subscription(['orders']) }]);
    expect(c.group(G)!.state).toBe('CompletingRebalance');
  });

  it('members joining within the initial delay complete together; the leader alone gets all metadata', async () => {
    const { coordinator: c, clock } = makeCoordinator({ initialRebalanceDelayMs: 3000 });
    const joins = ['a', 'b', 'c'].map((id) =>
      track(c.joinGroup(3, joinRequest(G, '', { protocols: [{ name: 'range', metadata: subscription([id]) }] }), ctx(id))),
    );
    clock.advance(2999);
    c.tick();
    await flush();
    expect(joins.some((j) => j.done)).toBe(false);
    clock.advance(1);
    c.tick();
    // New members arrived during the first delay, so Kafka waits one more delay.
    await flush();
    expect(joins.some((j) => j.done)).toBe(false);
    clock.advance(3000);
    c.tick();
    await flush();
    const [a, b, cc] = joins.map((j) => j.value);
    expect([a!.generationId, b!.generationId, cc!.generationId]).toEqual([1, 1, 1]);
    expect(a!.leader).toBe(a!.memberId);
    expect(a!.members.map((m) => m.metadata)).toEqual([subscription(['a']), subscription(['b']), subscription(['c'])]);
    expect(b!.members).toEqual([]);
    expect(cc!.members).toEqual([]);
  });

  it('followers wait for the leader\'s SyncGroup and then get their own assignment', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids } = await stableGroup(c, 1);
    const follower = track(c.joinGroup(3, joinRequest(G, ''), ctx('f')));
    const leaderRejoin = track(c.joinGroup(3, joinRequest(G, ids[0]!)));
    await flush();
    const gen = follower.value.generationId;
    expect(leaderRejoin.value.leader).toBe(ids[0]);
    const followerSync = track(c.syncGroup(3, { groupId: G, generationId: gen, memberId: follower.value.memberId, assignments: [] }));
    await flush();
    expect(followerSync.done).toBe(false);
    const leaderSync = await c.syncGroup(3, {
      groupId: G, generationId: gen, memberId: ids[0]!,
      assignments: [
        { memberId: ids[0]!, assignment: Buffer.from('L') },
        { memberId: follower.value.memberId, assignment: Buffer.from('F') },
      ],
    });
    await flush();
    expect(leaderSync.assignment).toEqual(Buffer.from('L'));
    expect(followerSync.value).toMatchObject({ errorCode: 0, assignment: Buffer.from('F') });
    expect(c.group(G)!.state).toBe('Stable');
  });

  it('a member that did not get an id first is asked to rejoin with one (MEMBER_ID_REQUIRED, v4+)', async () => {
    const { coordinator: c, clock } = makeCoordinator();
    const r = await c.joinGroup(4, joinRequest(G, ''), ctx('kcat'));
    expect(r).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'kcat-uuid-1', generationId: -1 });
    expect(c.group(G)!.members.size).toBe(0);
    // Before v4 the member is added directly.
    const old = await c.joinGroup(3, joinRequest('other', ''), ctx('old'));
    expect(old.errorCode).toBe(ErrorCode.NONE);
    // A pending id expires after its session timeout.
    clock.advance(10_000);
    c.tick();
    const late = await c.joinGroup(4, joinRequest(G, r.memberId));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member joining a Stable group starts a new generation that every member rejoins', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 2);
    const newcomer = track(c.joinGroup(3, joinRequest(G, ''), ctx('n')));
    await flush();
    expect(newcomer.done).toBe(false);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[1]! }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoins = ids.map((id) => track(c.joinGroup(3, joinRequest(G, id))));
    await flush();
    for (const j of [newcomer, ...rejoins]) expect(j.value).toMatchObject({ errorCode: 0, generationId: generationId + 1 });
    expect(rejoins[0]!.value.members).toHaveLength(3);
  });

  it('the protocol most members prefer among those all support wins', async () => {
    const { coordinator: c, clock } = makeCoordinator({ initialRebalanceDelayMs: 100 });
    const p = (names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const joins = [['range', 'roundrobin', 'sticky'], ['roundrobin', 'range'], ['roundrobin', 'range']].map((names, i) =>
      track(c.joinGroup(3, joinRequest(G, '', { protocols: p(names) }), ctx(`m${i}`))),
    );
    await settle(c, clock);
    expect(joins.map((j) => j.value.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    expect(joins[0]!.value.members[0]!.metadata).toEqual(Buffer.from('roundrobin'));
  });
});

describe('members leaving and failing', () => {
  it('LeaveGroup removes the member and the rest rebalance without it', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 2);
    expect(c.leaveGroup(0, { groupId: G, memberId: ids[0]! }).errorCode).toBe(ErrorCode.NONE);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[1]! }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await c.joinGroup(3, joinRequest(G, ids[1]!));
    expect(r).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: ids[1] });
    expect(r.members.map((m) => m.memberId)).toEqual([ids[1]]);
    expect(c.leaveGroup(1, { groupId: G, memberId: ids[1]! }).errorCode).toBe(ErrorCode.NONE);
    expect(c.group(G)!.state).toBe('Empty');
    expect(c.group(G)!.generationId).toBe(generationId + 2);
  });

  it('LeaveGroup v3 removes a batch and reports each member\'s result', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids } = await stableGroup(c, 3);
    const r = c.leaveGroup(3, { groupId: G, members: [{ memberId: ids[0]! }, { memberId: 'nobody' }, { memberId: ids[2]! }] });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE]);
    expect([...c.group(G)!.members.keys()]).toEqual([ids[1]]);
  });

  it('a member whose heartbeats stop is removed after its session timeout and the group rebalances', async () => {
    const { coordinator: c, clock } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 2);
    clock.advance(6000);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[0]! }).errorCode).toBe(ErrorCode.NONE);
    c.tick();
    expect(c.group(G)!.members.size).toBe(2);
    clock.advance(4000); // ids[1] silent for 10 s = its session timeout
    c.tick();
    expect([...c.group(G)!.members.keys()]).toEqual([ids[0]]);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[0]! }).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[1]! }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('members that do not rejoin within the rebalance timeout are dropped from the generation', async () => {
    const { coordinator: c, clock } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 2);
    const leaderRejoin = track(c.joinGroup(3, joinRequest(G, ids[0]!)));
    for (let t = 0; t < 30_000; t += 5000) {
      clock.advance(5000);
      // The laggard keeps heartbeating, so only the rebalance timeout can remove it.
      c.heartbeat(3, { groupId: G, generationId, memberId: ids[1]! });
      c.tick();
      await flush();
      if (t < 25_000) expect(leaderRejoin.done).toBe(false);
    }
    expect(leaderRejoin.value).toMatchObject({ errorCode: 0, generationId: generationId + 1 });
    expect(leaderRejoin.value.members.map((m) => m.memberId)).toEqual([ids[0]]);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[1]! }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a leader that heartbeats but never sends SyncGroup is removed after the rebalance timeout', async () => {
    const { coordinator: c, clock } = makeCoordinator();
    const { ids } = await stableGroup(c, 2);
    const rejoins = [track(c.joinGroup(3, joinRequest(G, ''), ctx('n'))), ...ids.map((id) => track(c.joinGroup(3, joinRequest(G, id))))];
    await flush();
    const gen = rejoins[1]!.value.generationId;
    const followers = [rejoins[0]!.value.memberId, ids[1]!];
    const syncs = followers.map((memberId) => track(c.syncGroup(3, { groupId: G, generationId: gen, memberId, assignments: [] })));
    for (let t = 0; t < 30_000; t += 5000) {
      clock.advance(5000);
      expect(c.heartbeat(3, { groupId: G, generationId: gen, memberId: ids[0]! }).errorCode).toBe(ErrorCode.NONE);
      c.tick();
    }
    await flush();
    for (const s of syncs) expect(s.value.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect([...c.group(G)!.members.keys()].sort()).toEqual([...followers].sort());
    expect(c.group(G)!.state).toBe('PreparingRebalance');
  });
});

describe('static membership (KIP-345)', () => {
  const staticJoin = (instanceId: string, memberId = '') =>
    joinRequest(G, memberId, { groupInstanceId: instanceId });

  it('a restarted static member takes its old place without a rebalance; its old id is fenced', async () => {
    const { coordinator: c, clock } = makeCoordinator({ initialRebalanceDelayMs: 100 });
    const joins = ['i1', 'i2'].map((i) => track(c.joinGroup(5, staticJoin(i), ctx(i))));
    await settle(c, clock);
    const [j1, j2] = joins.map((j) => j.value);
    expect(j1!.errorCode).toBe(ErrorCode.NONE); // static members skip MEMBER_ID_REQUIRED
    const gen = j1!.generationId;
    await syncAll(c, [j1!.memberId, j2!.memberId], gen, j1!.leader);

    const restarted = await c.joinGroup(5, staticJoin('i1'), ctx('i1'));
    expect(restarted).toMatchObject({ errorCode: 0, generationId: gen, leader: j1!.memberId, members: [] });
    expect(restarted.memberId).not.toBe(j1!.memberId);
    expect(c.group(G)!.state).toBe('Stable');
    expect(c.heartbeat(3, { groupId: G, generationId: gen, memberId: j2!.memberId, groupInstanceId: 'i2' }).errorCode).toBe(0);
    const sync = await c.syncGroup(3, { groupId: G, generationId: gen, memberId: restarted.memberId, groupInstanceId: 'i1', assignments: [] });
    expect(sync.assignment).toEqual(Buffer.from(`a:${j1!.memberId}`));

    const zombie = { groupId: G, generationId: gen, memberId: j1!.memberId, groupInstanceId: 'i1' };
    expect(c.heartbeat(3, zombie).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.syncGroup(3, { ...zombie, assignments: [] })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.joinGroup(5, staticJoin('i1', j1!.memberId))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.leaveGroup(3, { groupId: G, members: [{ memberId: j1!.memberId, groupInstanceId: 'i1' }] }).members[0]!.errorCode)
      .toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static member rejoining with a protocol change that alters the choice triggers a rebalance', async () => {
    const { coordinator: c } = makeCoordinator();
    const both = (names: string[]) => names.map((name) => ({ name, metadata: subscription(['orders']) }));
    const first = await c.joinGroup(5, joinRequest(G, '', { groupInstanceId: 'i1', protocols: both(['range', 'roundrobin']) }), ctx('i1'));
    expect(first.protocolName).toBe('range');
    await syncAll(c, [first.memberId], first.generationId, first.leader);
    const p = both(['roundrobin', 'range']);
    const r = await c.joinGroup(5, joinRequest(G, '', { groupInstanceId: 'i1', protocols: p }), ctx('i1'));
    expect(r).toMatchObject({ errorCode: 0, generationId: first.generationId + 1, protocolName: 'roundrobin' });
  });
});

describe('error codes for wrong moves', () => {
  it('answers each wrong JoinGroup with Kafka\'s code', async () => {
    const { coordinator: c } = makeCoordinator();
    const code = async (v: number, req: Parameters<GroupCoordinator['joinGroup']>[1]) => (await c.joinGroup(v, req, ctx('x'))).errorCode;
    expect(await code(3, joinRequest('', ''))).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await code(3, joinRequest(G, '', { sessionTimeoutMs: 5999 }))).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(await code(3, joinRequest(G, '', { sessionTimeoutMs: 1_800_001 }))).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(await code(3, joinRequest('nosuch', 'stale-id'))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(3, joinRequest(G, '', { protocols: [] }))).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(await code(3, joinRequest(G, 'stale-id'))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(3, joinRequest(G, ''))).toBe(ErrorCode.NONE);
    expect(await code(3, joinRequest(G, '', { protocolType: 'connect' }))).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(await code(3, joinRequest(G, '', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] })))
      .toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const small = makeCoordinator({ groupMaxSize: 1 }).coordinator;
    expect((await small.joinGroup(3, joinRequest(G, ''), ctx('x'))).errorCode).toBe(ErrorCode.NONE);
    expect((await small.joinGroup(3, joinRequest(G, ''), ctx('y'))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    // A known member is always accepted, even at the limit.
    expect((await small.joinGroup(3, joinRequest(G, small.group(G)!.leaderId!))).errorCode).toBe(ErrorCode.NONE);
  });

  it('answers wrong SyncGroup and Heartbeat calls with Kafka\'s codes', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 1);
    const sync = async (over: object) =>
      (await c.syncGroup(5, { groupId: G, generationId, memberId: ids[0]!, assignments: [], ...over })).errorCode;
    const hb = (over: object) => c.heartbeat(3, { groupId: G, generationId, memberId: ids[0]!, ...over }).errorCode;
    expect(await sync({ memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await sync({ generationId: generationId + 1 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await sync({ protocolName: 'roundrobin' })).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(await sync({ protocolType: 'connect' })).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(await sync({ groupId: 'nosuch' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb({ memberId: 'nobody' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb({ generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(hb({ groupId: '' })).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(hb({})).toBe(ErrorCode.NONE);
    // A second member starts a rebalance: old-generation calls now see REBALANCE_IN_PROGRESS.
    track(c.joinGroup(3, joinRequest(G, ''), ctx('n')));
    await flush();
    expect(hb({})).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await sync({})).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('answers COORDINATOR_NOT_AVAILABLE for a Dead group', async () => {
    const { coordinator: c } = makeCoordinator();
    const { ids, generationId } = await stableGroup(c, 1);
    c.group(G)!.markDead(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.heartbeat(3, { groupId: G, generationId, memberId: ids[0]! }).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await c.joinGroup(3, joinRequest(G, ids[0]!))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await c.syncGroup(3, { groupId: G, generationId, memberId: ids[0]!, assignments: [] })).errorCode)
      .toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.leaveGroup(1, { groupId: G, memberId: ids[0]! }).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('fails a leader\'s SyncGroup when the store cannot persist the assignment, and rebalances', async () => {
    const { coordinator: c, store } = makeCoordinator();
    const first = await c.joinGroup(3, joinRequest(G, ''), ctx('a'));
    store.failWrites = true;
    const r = await c.syncGroup(3, { groupId: G, generationId: first.generationId, memberId: first.memberId, assignments: [] });
    expect(r.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.group(G)!.state).not.toBe('Stable');
  });
});
