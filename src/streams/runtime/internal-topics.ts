/**
 * Before an application runs (Kafka's InternalTopicManager and CopartitionedTopicsEnforcer):
 * its source topics must exist; each repartition topic gets the partition count of the
 * sub-topology that writes it (or Repartitioned's count); sub-topologies that join must read
 * co-partitioned topics (the same partition count); changelog topics are created compacted
 * (windowed ones compact,delete with a retention), one partition per task. Topics that already
 * exist are checked, never changed. Every process of an application runs this; a topic another
 * process created meanwhile is simply found.
 */
import type { BrookBackend } from '../../embedded/backend.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { changelogTopic, repartitionTopic } from '../config.js';
import type { Topology } from '../dsl/topology.js';
import { TopologyError } from '../errors.js';

export interface TopicLayout {
  /** Tasks per sub-topology (its largest source partition count). */
  taskCounts: Map<number, number>;
  /** Physical source topics per sub-topology, with partition counts. */
  sources: Map<number, Array<{ topic: string; partitions: number }>>;
}

async function ensureTopic(backend: BrookBackend, topic: string, partitions: number, configs: Record<string, string>, exact: boolean): Promise<void> {
  const existing = await backend.describeTopic(topic);
  if (existing === undefined) {
    try {
      await backend.createTopic(topic, { partitions, configs });
      return;
    } catch (err) {
      if ((err as { errorCode?: number }).errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw err;
    }
  }
  const found = existing ?? (await backend.describeTopic(topic));
  const count = found?.partitionCount ?? 0;
  if (exact ? count !== partitions : count < partitions) {
    throw new TopologyError(`internal topic '${topic}' has ${count} partitions, the application needs ${partitions}; delete it (the application is reset) or fix the inputs`);
  }
}

export async function prepareTopics(topology: Topology, backend: BrookBackend, applicationId: string): Promise<TopicLayout> {
  const repartitions = topology.graph.repartitionTopics;
  const counts = new Map<string, number>();
  for (const sub of topology.subtopologies) {
    for (const topic of sub.sourceTopics.filter((t) => !repartitions.has(t))) {
      const details = await backend.describeTopic(topic);
      if (details === undefined) throw new TopologyError(`source topic '${topic}' does not exist; create it before starting the application`);
      counts.set(topic, details.partitionCount);
    }
  }
  const writerOf = (topic: string) => topology.subtopologies.find((s) => s.repartitionSinks.includes(topic));
  // Repartition counts flow from writer to reader; a chain of them resolves in at most one pass per topic.
  for (let pass = 0; pass <= repartitions.size; pass++) {
    for (const [topic, asked] of repartitions) {
      if (counts.has(topic)) continue;
      if (asked !== null) {
        counts.set(topic, asked);
        continue;
      }
      const writer = writerOf(topic);
      const known = writer?.sourceTopics.map((t) => counts.get(t)) ?? [];
      if (known.length > 0 && known.every((n) => n !== undefined)) counts.set(topic, Math.max(...(known as number[])));
    }
  }
  for (const sub of topology.subtopologies.filter((s) => s.copartitioned)) {
    const external = sub.sourceTopics.filter((t) => !repartitions.has(t)).map((t) => counts.get(t)!);
    if (external.length > 0) {
      for (const topic of sub.sourceTopics) if (repartitions.get(topic) === null) counts.set(topic, Math.max(...external));
    }
    const distinct = new Set(sub.sourceTopics.map((t) => counts.get(t)));
    if (distinct.size > 1) {
      const listing = sub.sourceTopics.map((t) => `${t} (${counts.get(t)})`).join(', ');
      throw new TopologyError(`a join needs co-partitioned inputs, but these topics have different partition counts: ${listing}`);
    }
  }
  for (const [topic] of repartitions) {
    const partitions = counts.get(topic);
    if (partitions === undefined) throw new TopologyError(`cannot work out the partition count of repartition topic '${topic}'`);
    await ensureTopic(backend, repartitionTopic(applicationId, topic), partitions, { 'cleanup.policy': 'delete' }, true);
  }
  const taskCounts = new Map<number, number>();
  const sources = new Map<number, Array<{ topic: string; partitions: number }>>();
  for (const sub of topology.subtopologies) {
    const list = sub.sourceTopics.map((t) => ({ topic: repartitions.has(t) ? repartitionTopic(applicationId, t) : t, partitions: counts.get(t)! }));
    sources.set(sub.id, list);
    taskCounts.set(sub.id, Math.max(...list.map((s) => s.partitions)));
  }
  for (const def of topology.stores.values()) {
    if (!def.logging) continue;
    const sub = topology.subtopologyOfStore(def.name);
    if (sub === undefined) continue;
    const policy = def.kind === 'keyValue' ? 'compact' : 'compact,delete';
    await ensureTopic(backend, changelogTopic(applicationId, def.name), taskCounts.get(sub.id)!, { 'cleanup.policy': policy, ...def.changelogConfigs }, false);
  }
  return { taskCounts, sources };
}
