/**
 * Kafka's embedded consumer protocol: the bytes a consumer puts in JoinGroup `protocols[].metadata`
 * (ConsumerProtocolSubscription) and the leader puts in SyncGroup `assignments[].assignment`
 * (ConsumerProtocolAssignment). Opaque to the broker, except that OffsetDelete and DescribeGroups
 * need to know which topics a member subscribes to. kafkajs' MemberMetadata / MemberAssignment use
 * the same layout (version 0/1 fields only).
 *
 * ConsumerProtocolSubscription (big-endian, classic encoding):
 *   int16  version
 *   int32  topicCount, then per topic: int16 length + utf-8 name
 *   int32  userData length (-1 = null) + bytes
 *   v1+:   int32 ownedPartitionCount, per entry: string topic, int32 count + int32 partitions
 *   v2+:   int32 generationId
 *   v3+:   int16 rackId length (-1 = null) + utf-8
 *
 * ConsumerProtocolAssignment:
 *   int16  version
 *   int32  topicCount, per entry: string topic, int32 count + int32 partitions
 *   int32  userData length (-1 = null) + bytes
 *
 * Kafka reads versions newer than it knows with the newest layout it knows (later versions only
 * append fields), so we do the same and ignore trailing bytes after the fields we know. Fields
 * added after v0 are read only when bytes remain: kafkajs lets an assigner declare version 1
 * while writing only the v0 fields, and such members must still be understood.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { DecodeError } from '../protocol/decode-error.js';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerProtocolSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+; empty for v0. */
  ownedPartitions: TopicPartitions[];
  /** v2+; -1 otherwise. */
  generationId: number;
  /** v3+; null otherwise. */
  rackId: string | null;
}

export interface ConsumerProtocolAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const SUBSCRIPTION_VERSION_MAX = 3;

function readTopicPartitions(r: ByteReader): TopicPartitions {
  const topic = r.string('topic');
  const partitions = r.array((e) => e.int32('partition'), 'partitions', 4);
  return { topic, partitions };
}

function writeTopicPartitions(w: ByteWriter, tp: TopicPartitions): void {
  w.string(tp.topic).array(tp.partitions, (e, p) => e.int32(p));
}

function readVersion(r: ByteReader, what: string): number {
  const version = r.int16(`${what} version`);
  if (version < 0) throw new DecodeError(`${what}: negative version ${version}`);
  return version;
}

export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const r = new ByteReader(bytes);
  const version = readVersion(r, 'ConsumerProtocolSubscription');
  const topics = r.array((e) => e.string('topic'), 'topics', 2);
  const userData = r.nullableBytes('userData');
  const more = (since: number): boolean => version >= since && r.remainingBytes > 0;
  const ownedPartitions = more(1) ? r.array(readTopicPartitions, 'ownedPartitions', 6) : [];
  const generationId = more(2) ? r.int32('generationId') : -1;
  const rackId = more(3) ? r.nullableString('rackId') : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeSubscription(s: {
  version: number;
  topics: readonly string[];
  userData?: Buffer | null;
  ownedPartitions?: readonly TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}): Buffer {
  const version = Math.min(s.version, SUBSCRIPTION_VERSION_MAX);
  const w = new ByteWriter().int16(s.version).array(s.topics, (e, t) => e.string(t));
  w.nullableBytes(s.userData ?? null);
  if (version >= 1) w.array(s.ownedPartitions ?? [], writeTopicPartitions);
  if (version >= 2) w.int32(s.generationId ?? -1);
  if (version >= 3) w.nullableString(s.rackId ?? null);
  return w.toBuffer();
}

export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  const r = new ByteReader(bytes);
  const version = readVersion(r, 'ConsumerProtocolAssignment');
  const assignedPartitions = r.array(readTopicPartitions, 'assignedPartitions', 6);
  const userData = r.nullableBytes('userData');
  return { version, assignedPartitions, userData };
}

export function encodeAssignment(a: {
  version: number;
  assignedPartitions: readonly TopicPartitions[];
  userData?: Buffer | null;
}): Buffer {
  return new ByteWriter()
    .int16(a.version)
    .array(a.assignedPartitions, writeTopicPartitions)
    .nullableBytes(a.userData ?? null)
    .toBuffer();
}
