/**
 * What the coordinator persists: committed offsets and group metadata, one record per key, kept in
 * the compacted `__consumer_offsets` log (the last record per key wins, a null value deletes).
 * The byte format is Kafka's own for these records (GroupMetadataManager's schemas), so tools that
 * read __consumer_offsets recognise them:
 *
 *   OffsetCommitKey   int16 keyVersion = 1 | string group | string topic | int32 partition
 *   GroupMetadataKey  int16 keyVersion = 2 | string group
 *
 *   OffsetCommitValue v3
 *     int16 version = 3 | int64 offset | int32 leaderEpoch | string metadata | int64 commitTimestamp
 *   GroupMetadataValue v3
 *     int16 version = 3 | string protocolType | int32 generation | nullable string protocol
 *     | nullable string leader | int64 currentStateTimestamp
 *     | int32 memberCount, per member: string memberId | nullable string groupInstanceId
 *       | string clientId | string clientHost | int32 rebalanceTimeout | int32 sessionTimeout
 *       | bytes subscription | bytes assignment
 *
 * Two liberties: offset metadata and protocolType may be null (int16 -1) where Kafka writes a
 * string; the coordinator normalises commits to "" as Kafka does, so it only writes null for
 * protocolType of a group that never had members.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { DecodeError } from '../protocol/decode-error.js';

export interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: number;
}

export interface GroupMemberValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's chosen protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupValue {
  protocolType: string | null;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  currentStateTimestampMs: number;
  members: GroupMemberValue[];
}

export type GroupRecord =
  | { type: 'offset'; groupId: string; topic: string; partition: number; value: OffsetValue | null }
  | { type: 'group'; groupId: string; value: GroupValue | null };

/** Implemented by the host (the coordinator worker backs it with the __consumer_offsets log). */
export interface GroupStore {
  /**
   * Durably record these; resolve when durable. Called for commits, group metadata changes and
   * tombstones. All or none, unless they exceed the coordinator's maxWriteBytes (see offsets-store.ts).
   */
  write(records: GroupRecord[]): Promise<void>;
}

/**
 * At most how many bytes one committed offset takes in the log, as if it were alone in its batch:
 * its key and value (layouts above), the record's varints at their widest and a batch header.
 * Lets the coordinator refuse a commit too large to store before building any of it.
 */
export function offsetRecordBytesMax(groupIdBytes: number, topic: string, metadata: string): number {
  const key = 2 + 2 + groupIdBytes + 2 + Buffer.byteLength(topic) + 4;
  const value = 2 + 8 + 4 + 2 + Buffer.byteLength(metadata) + 8;
  const recordVarints = 5 + 1 + 10 + 5 + 5 + 5 + 5; // length, attributes, deltas, key/value lengths, header count
  return key + value + recordVarints + 61;
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

export function encodeGroupRecord(r: GroupRecord): { key: Buffer; value: Buffer | null } {
  if (r.type === 'offset') {
    const key = new ByteWriter().int16(OFFSET_KEY_VERSION).string(r.groupId).string(r.topic).int32(r.partition);
    const v = r.value;
    const value =
      v === null
        ? null
        : new ByteWriter()
            .int16(OFFSET_VALUE_VERSION)
            .int64(v.offset)
            .int32(v.leaderEpoch)
            .nullableString(v.metadata)
            .int64(v.commitTimestampMs)
            .toBuffer();
    return { key: key.toBuffer(), value };
  }
  const key = new ByteWriter().int16(GROUP_KEY_VERSION).string(r.groupId).toBuffer();
  const v = r.value;
  if (v === null) return { key, value: null };
  const value = new ByteWriter()
    .int16(GROUP_VALUE_VERSION)
    .nullableString(v.protocolType)
    .int32(v.generationId)
    .nullableString(v.protocolName)
    .nullableString(v.leader)
    .int64(v.currentStateTimestampMs)
    .array(v.members, (w, m) => {
      w.string(m.memberId)
        .nullableString(m.groupInstanceId)
        .string(m.clientId)
        .string(m.clientHost)
        .int32(m.rebalanceTimeoutMs)
        .int32(m.sessionTimeoutMs)
        .nullableBytes(m.subscription)
        .nullableBytes(m.assignment);
    })
    .toBuffer();
  return { key, value };
}

function readMember(r: ByteReader): GroupMemberValue {
  return {
    memberId: r.string('memberId'),
    groupInstanceId: r.nullableString('groupInstanceId'),
    clientId: r.string('clientId'),
    clientHost: r.string('clientHost'),
    rebalanceTimeoutMs: r.int32('rebalanceTimeoutMs'),
    sessionTimeoutMs: r.int32('sessionTimeoutMs'),
    subscription: r.bytes('subscription'),
    assignment: r.bytes('assignment'),
  };
}

function decodeGroupValue(value: Buffer): GroupValue {
  const r = new ByteReader(value);
  const version = r.int16('group value version');
  if (version !== GROUP_VALUE_VERSION) throw new DecodeError(`unsupported group value version ${version}`);
  const out: GroupValue = {
    protocolType: r.nullableString('protocolType'),
    generationId: r.int32('generationId'),
    protocolName: r.nullableString('protocolName'),
    leader: r.nullableString('leader'),
    currentStateTimestampMs: r.int64('currentStateTimestampMs'),
    members: r.array(readMember, 'members', 26),
  };
  r.expectEnd('group value');
  return out;
}

function decodeOffsetValue(value: Buffer): OffsetValue {
  const r = new ByteReader(value);
  const version = r.int16('offset value version');
  if (version !== OFFSET_VALUE_VERSION) throw new DecodeError(`unsupported offset value version ${version}`);
  const out: OffsetValue = {
    offset: r.int64('offset'),
    leaderEpoch: r.int32('leaderEpoch'),
    metadata: r.nullableString('metadata'),
    commitTimestampMs: r.int64('commitTimestamp'),
  };
  r.expectEnd('offset value');
  return out;
}

/** Inverse of encodeGroupRecord; throws DecodeError on bytes it did not write. */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupRecord {
  const r = new ByteReader(key);
  const keyVersion = r.int16('key version');
  if (keyVersion === OFFSET_KEY_VERSION || keyVersion === 0) {
    const groupId = r.string('groupId');
    const topic = r.string('topic');
    const partition = r.int32('partition');
    r.expectEnd('offset key');
    return { type: 'offset', groupId, topic, partition, value: value === null ? null : decodeOffsetValue(value) };
  }
  if (keyVersion === GROUP_KEY_VERSION) {
    const groupId = r.string('groupId');
    r.expectEnd('group key');
    return { type: 'group', groupId, value: value === null ? null : decodeGroupValue(value) };
  }
  throw new DecodeError(`unknown group record key version ${keyVersion}`);
}
