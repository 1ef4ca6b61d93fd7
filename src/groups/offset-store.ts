/**
 * Committed offsets of all groups one coordinator owns, in memory: groupId -> topic -> partition
 * -> OffsetValue. The durable copy is the GroupStore's log; this map is what OffsetFetch reads.
 * Not thread-safe; owned by the GroupCoordinator.
 */
import type { OffsetValue } from './group-record.js';

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetValue>>>();

  get(groupId: string, topic: string, partition: number): OffsetValue | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  set(groupId: string, topic: string, partition: number, value: OffsetValue): void {
    let topics = this.byGroup.get(groupId);
    if (topics === undefined) this.byGroup.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
  }

  delete(groupId: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) topics!.delete(topic);
    if (topics!.size === 0) this.byGroup.delete(groupId);
    return true;
  }

  deleteGroup(groupId: string): void {
    this.byGroup.delete(groupId);
  }

  hasGroup(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Every committed offset of a group, topics and partitions in ascending order. */
  entries(groupId: string): { topic: string; partition: number; value: OffsetValue }[] {
    const out: { topic: string; partition: number; value: OffsetValue }[] = [];
    const topics = this.byGroup.get(groupId);
    if (topics === undefined) return out;
    for (const topic of [...topics.keys()].sort()) {
      const partitions = topics.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
        out.push({ topic, partition, value: partitions.get(partition)! });
      }
    }
    return out;
  }
}
