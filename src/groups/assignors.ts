/**
 * The two classic client-side partition assignors, assigning exactly as Kafka's RangeAssignor and
 * RoundRobinAssignor do, so Brook's embedded consumer and a Java consumer in the same group would
 * compute the same plan. Pure functions; the group leader runs one and sends the result in
 * SyncGroup.
 */

/** memberId -> the topics it subscribes to (from its ConsumerProtocolSubscription). */
export type Subscriptions = ReadonlyMap<string, { topics: readonly string[] }>;
/** topic -> partition count; topics missing here (unknown to metadata) are skipped. */
export type PartitionCounts = ReadonlyMap<string, number>;
/** memberId -> topic -> partitions, every member present (possibly with nothing). */
export type Assignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  /** The protocol name the consumer advertises in JoinGroup. */
  readonly name: string;
  assign(partitionCounts: PartitionCounts, subscriptions: Subscriptions): Assignment;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function emptyAssignment(subscriptions: Subscriptions): Assignment {
  const out: Assignment = new Map();
  for (const memberId of [...subscriptions.keys()].sort(byCodeUnits)) out.set(memberId, new Map());
  return out;
}

function add(out: Assignment, memberId: string, topic: string, partition: number): void {
  const topics = out.get(memberId)!;
  let partitions = topics.get(topic);
  if (partitions === undefined) topics.set(topic, (partitions = []));
  partitions.push(partition);
}

/**
 * Range: per topic, the subscribed members sorted by id each take a contiguous range; with n
 * partitions and c members, each gets floor(n/c) and the first n % c members one more.
 * Example (Kafka docs): C0, C1 on t0, t1 with 3 partitions each ->
 * C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign(partitionCounts, subscriptions) {
    const out = emptyAssignment(subscriptions);
    const membersByTopic = new Map<string, string[]>();
    for (const [memberId, { topics }] of subscriptions) {
      for (const topic of new Set(topics)) {
        let members = membersByTopic.get(topic);
        if (members === undefined) membersByTopic.set(topic, (members = []));
        members.push(memberId);
      }
    }
    for (const topic of [...membersByTopic.keys()].sort(byCodeUnits)) {
      const partitionCount = partitionCounts.get(topic);
      if (partitionCount === undefined) continue;
      const members = membersByTopic.get(topic)!.sort(byCodeUnits);
      const perMember = Math.floor(partitionCount / members.length);
      const extraCount = partitionCount % members.length;
      members.forEach((memberId, i) => {
        const start = perMember * i + Math.min(i, extraCount);
        const length = perMember + (i < extraCount ? 1 : 0);
        for (let p = start; p < start + length; p++) add(out, memberId, topic, p);
      });
    }
    return out;
  },
};

/**
 * Round robin: all partitions of all subscribed topics, sorted by topic then partition, dealt to
 * the members sorted by id in a circle, skipping members not subscribed to the partition's topic.
 * Example (Kafka docs): C0 [t0], C1 [t0, t1], C2 [t0, t1, t2] with t0, t1, t2 having 1, 2, 3
 * partitions -> C0 [t0p0], C1 [t1p0], C2 [t1p1, t2p0, t2p1, t2p2].
 */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  assign(partitionCounts, subscriptions) {
    const out = emptyAssignment(subscriptions);
    const members = [...out.keys()];
    if (members.length === 0) return out;
    const topicSets = new Map(members.map((m) => [m, new Set(subscriptions.get(m)!.topics)]));
    const allTopics = new Set<string>();
    for (const set of topicSets.values()) for (const t of set) allTopics.add(t);
    let next = 0;
    for (const topic of [...allTopics].sort(byCodeUnits)) {
      const partitionCount = partitionCounts.get(topic);
      if (partitionCount === undefined) continue;
      for (let p = 0; p < partitionCount; p++) {
        // Some member subscribes to `topic` (it came from a subscription), so this ends.
        while (!topicSets.get(members[next]!)!.has(topic)) next = (next + 1) % members.length;
        add(out, members[next]!, topic, p);
        next = (next + 1) % members.length;
      }
    }
    return out;
  },
};

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map(
  [rangeAssignor, roundRobinAssignor].map((a) => [a.name, a]),
);
