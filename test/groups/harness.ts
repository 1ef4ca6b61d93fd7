/** Shared test scaffolding: a coordinator on a ManualClock with an in-memory GroupStore. */
import { ManualClock } from '../../src/common/clock.js';
import { GroupCoordinator } from '../../src/groups/group-coordinator.js';
import type { GroupRecord, GroupStore } from '../../src/groups/group-record.js';
import type { GroupConfig } from '../../src/groups/group-rules.js';
import { encodeSubscription } from '../../src/groups/consumer-protocol.js';
import type { JoinGroupRequest } from '../../src/groups/types.js';

export class MemoryStore implements GroupStore {
  readonly records: GroupRecord[] = [];
  failWrites = false;
  /** When set, writes wait until `release()` is called. */
  hold = false;
  private held: (() => void)[] = [];

  write(records: GroupRecord[]): Promise<void> {
    if (this.failWrites) return Promise.reject(new Error('disk full'));
    const commit = (): void => void this.records.push(...records);
    if (!this.hold) {
      commit();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.held.push(() => (commit(), resolve())));
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }
}

export const TOPICS = new Map([['orders', 6], ['payments', 3], ['old', 2]]);

export function makeCoordinator(config: Partial<GroupConfig> = {}, options: { maxWriteBytes?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const store = new MemoryStore();
  let uuidCount = 0;
  const coordinator = new GroupCoordinator({
    clock,
    store,
    config: { initialRebalanceDelayMs: 0, ...config },
    topicExists: (topic, partition) => partition >= 0 && partition < (TOPICS.get(topic) ?? 0),
    newUuid: () => `uuid-${++uuidCount}`,
    ...options,
  });
  return { clock, store, coordinator };
}

/** Lets every pending promise callback run (store writes resolve in microtasks). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise whose settlement can be checked synchronously. */
export function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T } {
  const state: { done: boolean; value: T } = { done: false, value: undefined as T };
  void p.then((v) => {
    state.done = true;
    state.value = v;
  });
  return state;
}

export function subscription(topics: string[]): Buffer {
  return encodeSubscription({ version: 0, topics, userData: Buffer.alloc(0) });
}

export function joinRequest(groupId: string, memberId: string, over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    ...over,
  };
}
