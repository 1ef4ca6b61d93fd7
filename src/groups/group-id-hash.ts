/**
 * Which coordinator owns a group: Kafka maps a group to a partition of __consumer_offsets with
 * `Utils.abs(groupId.hashCode()) % offsetsTopicPartitionCount`. Brook shards groups over its
 * coordinator workers the same way, so a group lands where Kafka would put it.
 */
import { assert } from '../common/assert.js';

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, wrapping int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs except that Integer.MIN_VALUE maps to 0 (not to itself). */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function coordinatorIndexFor(groupId: string, coordinatorCount: number): number {
  assert(Number.isInteger(coordinatorCount) && coordinatorCount > 0, 'coordinatorCount must be a positive integer');
  return kafkaAbs(javaStringHashCode(groupId)) % coordinatorCount;
}
