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
 * The codecs are the generated ones (src/protocol/apis/consumer-protocol-*.ts, from Kafka's JSON
 * schemas); this module adds Kafka's reading rules around them. Kafka reads versions newer than it
 * knows with the newest layout it knows (later versions only append fields), so we do the same and
 * ignore trailing bytes after the fields we know. A version's later fields may also be missing
 * altogether: kafkajs lets an assigner declare version 1 while writing only the v0 fields, so when
 * the bytes end exactly where an older version's fields end, they are read as that version.
 */
import { DecodeError } from '../protocol/decode-error.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import * as subscriptionCodec from '../protocol/apis/consumer-protocol-subscription.js';
import * as assignmentCodec from '../protocol/apis/consumer-protocol-assignment.js';

export type TopicPartitions = subscriptionCodec.TopicPartition;

/** The subscription with the version its bytes declared. */
export type ConsumerProtocolSubscription = subscriptionCodec.ConsumerProtocolSubscription & { version: number };
export type ConsumerProtocolAssignment = assignmentCodec.ConsumerProtocolAssignment & { version: number };

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/**
 * int16 version, then the body of min(version, newest known): or of an older version when the
 * bytes end exactly where that version's fields end (see above). Anything else: DecodeError.
 */
function decodeVersioned<T>(bytes: Buffer, what: string, newest: number, decode: (r: Reader, version: number) => T): T & { version: number } {
  const reader = new Reader(bytes);
  const version = reader.readInt16();
  if (version < 0) throw new DecodeError(`${what}: negative version ${version}`);
  const known = Math.min(version, newest);
  try {
    return { version, ...decode(reader, known) };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    for (let older = known - 1; older >= 0; older--) {
      const retry = new Reader(bytes, 2);
      try {
        const body = decode(retry, older);
        if (retry.remainingBytes === 0) return { version, ...body };
      } catch (retryError) {
        if (!(retryError instanceof DecodeError)) throw retryError;
      }
    }
    throw error;
  }
}

export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  return decodeVersioned(bytes, 'ConsumerProtocolSubscription', subscriptionCodec.MAX_VERSION, subscriptionCodec.decode);
}

export function encodeSubscription(s: {
  version: number;
  topics: readonly string[];
  userData?: Buffer | null;
  ownedPartitions?: readonly TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}): Buffer {
  const version = Math.min(s.version, subscriptionCodec.MAX_VERSION);
  const body = { ...subscriptionCodec.defaultValue(), topics: [...s.topics], userData: s.userData ?? null };
  if (version >= 1) body.ownedPartitions = (s.ownedPartitions ?? []).map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }));
  if (version >= 2) body.generationId = s.generationId ?? -1;
  if (version >= 3) body.rackId = s.rackId ?? null;
  const writer = new Writer(64);
  writer.writeInt16(s.version);
  subscriptionCodec.encode(writer, version, body);
  return Buffer.from(writer.toBuffer());
}

export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  return decodeVersioned(bytes, 'ConsumerProtocolAssignment', assignmentCodec.MAX_VERSION, assignmentCodec.decode);
}

export function encodeAssignment(a: {
  version: number;
  assignedPartitions: readonly TopicPartitions[];
  userData?: Buffer | null;
}): Buffer {
  const writer = new Writer(64);
  writer.writeInt16(a.version);
  assignmentCodec.encode(writer, Math.min(a.version, assignmentCodec.MAX_VERSION), {
    assignedPartitions: a.assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })),
    userData: a.userData ?? null,
  });
  return Buffer.from(writer.toBuffer());
}
