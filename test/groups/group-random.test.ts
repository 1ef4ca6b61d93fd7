/**
 * Seeded simulation: consumers join, leave, crash and heartbeat while time moves in random steps.
 * They behave like real clients (rejoin on REBALANCE_IN_PROGRESS, reset on UNKNOWN_MEMBER_ID, the
 * leader assigns with the range assignor). After every step: in a Stable generation, the leader's
 * assignment was delivered to exactly the group's current members. A failure prints its seed.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { rangeAssignor } from '../../src/groups/assignors.js';
import { decodeAssignment, decodeSubscription, encodeAssignment } from '../../src/groups/consumer-protocol.js';
import type { GroupCoordinator } from '../../src/groups/group-coordinator.js';
import type { JoinGroupResponse, SyncGroupResponse } from '../../src/groups/types.js';
import { flush, joinRequest, makeCoordinator } from './harness.js';

const G = 'sim';
const PARTITIONS = new Map([['orders', 12]]);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  c: GroupCoordinator;
  /** generationId -> the plan its leader sent in SyncGroup. */
  plans: Map<number, Map<string, Buffer>>;
  /** generationId -> memberId -> the assignment a client received. */
  delivered: Map<number, Map<string, Buffer>>;
}

class SimClient {
  memberId = '';
  generationId = -1;
  alive = true;
  busy = false;

  constructor(readonly name: string, private readonly w: World, private readonly apiVersion: number) {}

  join(): void {
    if (!this.alive || this.busy) return;
    this.busy = true;
    void this.w.c.joinGroup(this.apiVersion, joinRequest(G, this.memberId), { clientId: this.name, clientHost: 'h' })
      .then((r) => this.onJoin(r));
  }

  private onJoin(r: JoinGroupResponse): void {
    if (!this.alive) return;
    this.busy = false;
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = r.memberId;
      return this.join();
    }
    if (r.errorCode !== ErrorCode.NONE) {
      if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      return;
    }
    this.memberId = r.memberId;
    this.generationId = r.generationId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (r.leader === r.memberId) {
      const subs = new Map(r.members.map((m) => [m.memberId, decodeSubscription(m.metadata)]));
      const plan = rangeAssignor.assign(PARTITIONS, subs);
      assignments = [...plan].map(([memberId, topics]) => ({
        memberId,
        assignment: encodeAssignment({ version: 0, assignedPartitions: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }),
      }));
      this.w.plans.set(r.generationId, new Map(assignments.map((a) => [a.memberId, a.assignment])));
    }
    this.busy = true;
    void this.w.c.syncGroup(3, { groupId: G, generationId: r.generationId, memberId: r.memberId, assignments })
      .then((s) => this.onSync(s, r.generationId));
  }

  private onSync(s: SyncGroupResponse, generationId: number): void {
    if (!this.alive) return;
    this.busy = false;
    if (s.errorCode === ErrorCode.NONE) {
      let got = this.w.delivered.get(generationId);
      if (got === undefined) this.w.delivered.set(generationId, (got = new Map()));
      got.set(this.memberId, s.assignment);
    } else if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = '';
    }
  }

  heartbeat(): void {
    if (!this.alive || this.busy) return;
    if (this.memberId === '' || this.generationId < 0) return this.join();
    const r = this.w.c.heartbeat(3, { groupId: G, generationId: this.generationId, memberId: this.memberId });
    if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (r.errorCode !== ErrorCode.NONE) this.join();
  }

  leave(): void {
    if (this.memberId !== '') this.w.c.leaveGroup(1, { groupId: G, memberId: this.memberId });
    this.alive = false;
  }
}

/** Plain checks: vitest's deep equality on Buffers is far too slow for thousands of steps. */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}

function checkInvariant(w: World): boolean {
  for (const [generationId, got] of w.delivered) {
    const plan = w.plans.get(generationId);
    check(plan !== undefined, `generation ${generationId} delivered without a leader plan`);
    for (const [memberId, bytes] of got) {
      check(bytes.equals(plan!.get(memberId) ?? Buffer.alloc(0)), `${memberId} got another plan's assignment`);
    }
  }
  w.delivered.clear(); // each delivery is checked once, when it arrives
  const g = w.c.group(G);
  if (g === undefined || g.state !== 'Stable') return false;
  const plan = w.plans.get(g.generationId);
  check(plan !== undefined, `Stable generation ${g.generationId} has no leader plan`);
  check(
    [...plan!.keys()].sort().join() === [...g.members.keys()].sort().join(),
    `generation ${g.generationId}: plan members differ from group members`,
  );
  for (const m of g.members.values()) check(m.assignment.equals(plan!.get(m.memberId)!), `${m.memberId} holds a stale assignment`);
  // The leader's plan covers each partition exactly once.
  const owned = [...plan!.values()].flatMap((b) => decodeAssignment(b).assignedPartitions.flatMap((tp) => tp.partitions));
  check(owned.sort((a, b) => a - b).join() === [...Array(12).keys()].join(), 'plan does not cover each partition once');
  return true;
}

async function simulate(seed: number, steps: number): Promise<number> {
  const random = mulberry32(seed);
  const { coordinator: c, clock } = makeCoordinator({ initialRebalanceDelayMs: random() < 0.5 ? 0 : 500 });
  const w: World = { c, plans: new Map(), delivered: new Map() };
  const clients: SimClient[] = [];
  let stableSteps = 0;
  for (let step = 0; step < steps; step++) {
    const live = clients.filter((x) => x.alive);
    const roll = random();
    if (roll < 0.12 || live.length === 0) {
      const client = new SimClient(`c${clients.length}`, w, random() < 0.5 ? 3 : 5);
      clients.push(client);
      client.join();
    } else if (roll < 0.18) {
      live[Math.floor(random() * live.length)]!.leave();
    } else if (roll < 0.22) {
      live[Math.floor(random() * live.length)]!.alive = false; // crash: silent from now on
    } else {
      clock.advance(Math.floor(random() * 4000));
      c.tick();
      for (const x of live) if (random() < 0.9) x.heartbeat();
    }
    await flush();
    if (checkInvariant(w)) stableSteps++;
  }
  return stableSteps;
}

describe('randomized membership churn', () => {
  it('in every Stable generation the leader\'s assignments reach exactly the current members', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      try {
        const stableSteps = await simulate(seed, 400);
        // The churn must actually reach Stable generations, or the check proves nothing.
        expect(stableSteps).toBeGreaterThan(20);
      } catch (e) {
        console.error(`group simulation failed with seed ${seed}`);
        throw e;
      }
    }
  });
});
