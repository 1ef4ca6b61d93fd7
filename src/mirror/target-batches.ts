/**
 * From a source partition's fetched batches to the batches a target partition receives. Pure
 * functions over their arguments; main thread, not thread-safe.
 *
 * Two paths, chosen per source batch:
 *
 * - Forward as-is (the common case: same partition number on the target, no codec change). The
 *   batch is copied whole -- records, compression, offset deltas and timestamps untouched -- and
 *   only header fields the target producer owns are rewritten:
 *
 *     offset size field                 rewritten to
 *     0      8    baseOffset            0 (the target assigns offsets)
 *     12     4    partitionLeaderEpoch  -1
 *     17     4    crc                   recomputed: attributes..end changed below
 *     21     2    attributes            transactional bit cleared (the mirror is not transactional)
 *     43     8    producerId            the mirror's target producerId (or -1)
 *     51     2    producerEpoch         the mirror's epoch (or -1)
 *     53     4    baseSequence          the target partition's next sequence (or -1)
 *
 *   The source's own producerId must never reach the target: it means nothing there and could
 *   collide with a live producer of the target cluster.
 *
 * - Re-encode: the records are decoded and written into new batches (one per target partition)
 *   when the partition count differs (records go by key hash), when the batch was compacted (its
 *   offset deltas have holes, which a broker refuses from a producer), when the batch starts before the
 *   resume offset (it holds records the target already has), when --compression asks for another
 *   codec, when the batch uses LogAppendTime (its records carry the source broker's time, which
 *   re-encoding turns into explicit create times), or when the target cannot take its codec.
 */
import { crc32c } from '../protocol/crc32c.js';
import { partitionForKey } from '../protocol/partitioner.js';
import { addSequence } from '../storage/producer-state.js';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE_LOG_APPEND, ATTR_TRANSACTIONAL, ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET, RECORDS_COUNT_OFFSET, decodeRecords, encodeRecordBatch, type ProducerRecord,
} from '../protocol/record-batch.js';

/** The target producer's identity; producerId -1 means not idempotent (no sequences). */
export interface TargetProducer {
  producerId: number;
  producerEpoch: number;
  /** Next baseSequence per target partition; advanced as batches are sealed. */
  nextSequence: Map<number, number>;
}

export interface MappingOptions {
  sourcePartition: number;
  targetPartitionCount: number;
  /** Same partition number when the target has at least as many partitions as the source. */
  samePartition: boolean;
  /** Codec for re-encoded batches, or for every batch when set (null: keep each batch's). */
  compression: number | null;
  /** Codecs the target accepts (zstd needs Produce v7+). */
  acceptsCodec(codec: number): boolean;
}

/** One sealed batch for one target partition. */
export interface TargetBatch {
  partition: number;
  bytes: Buffer;
  recordCount: number;
  reencoded: boolean;
}

export interface PlannedPartition {
  batches: TargetBatch[];
  /** Where the source partition's next fetch starts once these batches are acknowledged. */
  nextOffset: number;
  recordCount: number;
}


/**
 * Cuts `records` (whole batches as a fetch returns them) at `fromOffset` and maps them onto the
 * target. A partial trailing batch is left for the next fetch. Throws DecodeError on a malformed
 * batch (a corrupt source log: the caller stops rather than forward it).
 */
export function planPartition(records: Buffer, fromOffset: number, mapping: MappingOptions, producer: TargetProducer): PlannedPartition {
  const batches: TargetBatch[] = [];
  let nextOffset = fromOffset;
  let recordCount = 0;
  let pos = 0;
  while (records.length - pos >= BATCH_HEADER_BYTES) {
    const sizeBytes = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > records.length - pos) break;
    const batch = records.subarray(pos, pos + sizeBytes);
    pos += sizeBytes;
    const baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET));
    const batchNextOffset = baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1;
    if (batchNextOffset <= nextOffset) continue; // wholly before the resume offset
    const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
    if ((attributes & ATTR_CONTROL) === 0) {
      for (const out of mapBatch(batch, baseOffset, nextOffset, attributes, mapping, producer)) {
        batches.push(out);
        recordCount += out.recordCount;
      }
    }
    nextOffset = batchNextOffset;
  }
  return { batches, nextOffset, recordCount };
}

function mapBatch(batch: Buffer, baseOffset: number, fromOffset: number, attributes: number, mapping: MappingOptions,
  producer: TargetProducer): TargetBatch[] {
  const codec = attributes & ATTR_COMPRESSION_MASK;
  // A compacted batch keeps its offsets but not all its records (offset deltas with holes): a
  // Kafka broker refuses it from a producer (INVALID_RECORD), so it is re-encoded.
  const asIs = mapping.samePartition
    && baseOffset >= fromOffset
    && batch.readInt32BE(RECORDS_COUNT_OFFSET) === batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1
    && (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) === 0
    && (mapping.compression === null || mapping.compression === codec)
    && mapping.acceptsCodec(codec);
  if (asIs) {
    const partition = mapping.sourcePartition;
    const bytes = Buffer.from(batch); // the fetch buffer may be reused or shared: copy, then rewrite
    const offsetCount = bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1;
    const sequence = takeSequence(producer, partition, offsetCount);
    bytes.writeBigInt64BE(0n, BASE_OFFSET_OFFSET);
    bytes.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
    bytes.writeInt16BE(attributes & ~ATTR_TRANSACTIONAL, ATTRIBUTES_OFFSET);
    bytes.writeBigInt64BE(BigInt(producer.producerId), PRODUCER_ID_OFFSET);
    bytes.writeInt16BE(producer.producerId < 0 ? -1 : producer.producerEpoch, PRODUCER_EPOCH_OFFSET);
    bytes.writeInt32BE(sequence, BASE_SEQUENCE_OFFSET);
    bytes.writeUInt32BE(crc32c(bytes.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    return [{ partition, bytes, recordCount: bytes.readInt32BE(RECORDS_COUNT_OFFSET), reencoded: false }];
  }
  return reencode(batch, fromOffset, codec, mapping, producer);
}

function reencode(batch: Buffer, fromOffset: number, sourceCodec: number, mapping: MappingOptions, producer: TargetProducer): TargetBatch[] {
  let codec = mapping.compression ?? sourceCodec;
  if (!mapping.acceptsCodec(codec)) codec = 0;
  const byPartition = new Map<number, ProducerRecord[]>();
  for (const record of decodeRecords(batch)) {
    if (record.offset < fromOffset) continue;
    const partition = targetPartitionFor(record.key, mapping);
    let list = byPartition.get(partition);
    if (list === undefined) byPartition.set(partition, (list = []));
    list.push({ key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp });
  }
  const out: TargetBatch[] = [];
  for (const [partition, records] of byPartition) {
    const baseSequence = takeSequence(producer, partition, records.length);
    const idempotent = producer.producerId >= 0;
    const bytes = encodeRecordBatch(records, {
      compression: codec,
      producerId: producer.producerId,
      producerEpoch: idempotent ? producer.producerEpoch : -1,
      baseSequence,
    });
    out.push({ partition, bytes, recordCount: records.length, reencoded: true });
  }
  return out;
}

/**
 * The same partition number when the target has room; otherwise Kafka's default partitioner
 * (murmur2 of the key), and a keyless record goes to sourcePartition mod the target's count so a
 * source partition's keyless records stay together and in order.
 */
export function targetPartitionFor(key: Buffer | null, mapping: MappingOptions): number {
  if (mapping.samePartition) return mapping.sourcePartition;
  if (key === null) return mapping.sourcePartition % mapping.targetPartitionCount;
  return partitionForKey(key, mapping.targetPartitionCount);
}

/**
 * Kafka's idempotent sequences: per (producerId, partition), from 0, advanced by the batch's
 * offset span (lastOffsetDelta + 1, which is what the broker checks), wrapping at 2^31.
 */
function takeSequence(producer: TargetProducer, partition: number, offsetCount: number): number {
  if (producer.producerId < 0) return -1;
  const sequence = producer.nextSequence.get(partition) ?? 0;
  producer.nextSequence.set(partition, addSequence(sequence, offsetCount));
  return sequence;
}
