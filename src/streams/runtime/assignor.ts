/**
 * The streams assignor (Kafka's StreamsPartitionAssignor, reduced): the group's leader splits the
 * application's tasks (one per sub-topology and partition) over its members (one per process),
 * then every member gets, for each of its tasks, the task's partition of every source topic of
 * that sub-topology, so co-partitioned inputs stay together.
 *
 * Sticky and balanced: a member keeps the tasks it had (up to its share, weighted by its stream
 * threads), free tasks go first to a member that has their state on disk (checkpointed), then to
 * the least loaded member. Members say what they had in their subscription's userData; the plan
 * travels in each assignment's userData. Protocol name "stream", as Kafka Streams'.
 */
import type { ConsumerProtocolSubscription } from '../../groups/index.js';
import { encodeAssignment } from '../../groups/index.js';
import type { CustomAssignor } from '../../embedded/group-membership.js';

export const STREAMS_PROTOCOL_NAME = 'stream';

export interface MemberInfo {
  processId: string;
  threads: number;
  /** Tasks this member ran in the previous generation. */
  ownedTasks: string[];
  /** Tasks whose checkpointed state this member has on disk. */
  localTasks: string[];
}

export interface TaskPlan {
  id: string;
  subtopology: number;
  partition: number;
}

export function encodeMemberInfo(info: MemberInfo): Buffer {
  return Buffer.from(JSON.stringify(info), 'utf8');
}

export function decodeMemberInfo(userData: Buffer | null): MemberInfo {
  try {
    const info = JSON.parse(userData?.toString('utf8') ?? '') as MemberInfo;
    if (typeof info.processId === 'string' && Array.isArray(info.ownedTasks)) return { ...info, threads: Math.max(1, Number(info.threads) || 1), localTasks: info.localTasks ?? [] };
  } catch {
    // not a streams member: it gets no tasks
  }
  return { processId: '', threads: 0, ownedTasks: [], localTasks: [] };
}

/** Tasks per member id: sticky, then local state, then least loaded; deterministic. */
export function planAssignment(tasks: TaskPlan[], members: Map<string, MemberInfo>): Map<string, string[]> {
  const plan = new Map<string, string[]>([...members.keys()].sort().map((id) => [id, []]));
  const eligible = [...plan.keys()].filter((id) => members.get(id)!.threads > 0);
  if (eligible.length === 0) return plan;
  const totalThreads = eligible.reduce((sum, id) => sum + members.get(id)!.threads, 0);
  const capacity = new Map(eligible.map((id) => [id, Math.ceil((tasks.length * members.get(id)!.threads) / totalThreads)]));
  const free = new Set(tasks.map((t) => t.id));
  const give = (member: string, task: string): void => {
    plan.get(member)!.push(task);
    free.delete(task);
  };
  const hasRoom = (member: string): boolean => plan.get(member)!.length < capacity.get(member)!;
  for (const id of eligible) for (const task of members.get(id)!.ownedTasks) if (free.has(task) && hasRoom(id)) give(id, task);
  for (const id of eligible) for (const task of members.get(id)!.localTasks) if (free.has(task) && hasRoom(id)) give(id, task);
  for (const task of tasks.map((t) => t.id).filter((t) => free.has(t))) {
    const target = eligible.reduce((best, id) => (plan.get(id)!.length / members.get(id)!.threads < plan.get(best)!.length / members.get(best)!.threads ? id : best));
    give(target, task);
  }
  for (const list of plan.values()) list.sort(compareTaskIds);
  return plan;
}

export function compareTaskIds(a: string, b: string): number {
  const [sa, pa] = a.split('_').map(Number) as [number, number];
  const [sb, pb] = b.split('_').map(Number) as [number, number];
  return sa - sb || pa - pb;
}

export interface AssignorSource {
  /** This member's userData for the next join. */
  memberInfo(): MemberInfo;
  /** Every task of the application and, per sub-topology, its source topics with partition counts. */
  tasks(): Promise<{ tasks: TaskPlan[]; sources: Map<number, Array<{ topic: string; partitions: number }>> }>;
}

export function streamsAssignor(source: AssignorSource): CustomAssignor {
  return {
    name: STREAMS_PROTOCOL_NAME,
    userData: () => encodeMemberInfo(source.memberInfo()),
    async assign(members: Array<{ memberId: string; subscription: ConsumerProtocolSubscription }>) {
      const infos = new Map(members.map((m) => [m.memberId, decodeMemberInfo(m.subscription.userData)]));
      const { tasks, sources } = await source.tasks();
      const byId = new Map(tasks.map((t) => [t.id, t]));
      const plan = planAssignment(tasks, infos);
      return [...plan].map(([memberId, taskIds]) => {
        const byTopic = new Map<string, number[]>();
        for (const id of taskIds) {
          const task = byId.get(id)!;
          for (const { topic, partitions } of sources.get(task.subtopology) ?? []) {
            if (task.partition < partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), task.partition]);
          }
        }
        return {
          memberId,
          assignment: encodeAssignment({
            version: 0,
            assignedPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
            userData: Buffer.from(JSON.stringify({ tasks: taskIds }), 'utf8'),
          }),
        };
      });
    },
  };
}

/** The task ids in an assignment's userData. */
export function tasksOfAssignment(userData: Buffer | null): string[] {
  try {
    const parsed = JSON.parse(userData?.toString('utf8') ?? '') as { tasks?: unknown };
    return Array.isArray(parsed.tasks) ? parsed.tasks.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
