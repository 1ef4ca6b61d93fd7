/**
 * Produce (api key 0), v0-v11: append the request's record batches, byte for byte, to each
 * partition. The records field is a view into the request frame (no copy, no re-encoding); the
 * Broker copies it once into the partition's ring. The handler stamps each v2 batch's
 * partitionLeaderEpoch (outside the CRC, as a Kafka leader does) with the topic's leader epoch,
 * so consumers learn it from the batches they read (KIP-320 position validation).
 *
 * - acks 0: the append still happens (and is awaited, so an unanswered client cannot make us hold
 *   unbounded work), but no response frame is written at all, as Kafka does.
 * - acks 1 / -1: answered after the append (one host: "all in-sync replicas" is this one).
 * - other acks: INVALID_REQUIRED_ACKS for every partition, nothing written.
 * - transactions are not supported: a transactionalId, or a batch with the transactional attribute
 *   bit, gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) for the partitions concerned: the error
 *   Kafka gives a producer that may not use transactions, fatal (not retried) in every client.
 * - message format: v3+ carry record batch v2 only (an old message set: INVALID_RECORD, and zstd
 *   below v7: UNSUPPORTED_COMPRESSION_TYPE, as Kafka's ProduceRequest.validateRecords). v0-v2 may
 *   carry Kafka 0.8-0.10 message sets (magic 0/1): they are up-converted to one v2 batch
 *   (legacy-records.ts), as Kafka 3.9 does; a v2 batch sent at v0-v2 is stored as it is.
 *
 * Why v0-v2 matter beyond old clients: librdkafka 2.0.2 (kcat 1.7.1) compresses with gzip, snappy
 * or lz4 only if the broker's Produce range includes v0 (its per-codec "minimum ApiVersion" table);
 * otherwise it sends batches uncompressed. It still picks the highest common version.
 */
import * as api from '../../protocol/apis/produce.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Compression } from '../../protocol/compression.js';
import { DecodeError } from '../../protocol/decode-error.js';
import { firstMagic, LegacyRecordsError, upConvert } from '../../protocol/legacy-records.js';
import { MESSAGE_MAX_BYTES_LIMIT } from '../../common/limits.js';
import { kafkaCodeFor } from '../../common/error-table.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_COMPRESSION_MASK,
  ATTR_TRANSACTIONAL,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
} from '../../protocol/record-batch.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';

type Request = api.ProduceRequest;
type Response = api.ProduceResponse;
type PartitionResponse = api.PartitionProduceResponse;

/** zstd batches need Produce v7+ (KIP-110): older clients could not have negotiated it. */
const ZSTD_PRODUCE_VERSION_MIN = 7;

export const produceHandler = defineHandler<Request, Response>({
  codec: api,
  exclusive: false,
  async handle(request: Request, context: RequestContext): Promise<Response | null> {
    const { broker } = context.server;
    const acksValid = request.acks === 0 || request.acks === 1 || request.acks === -1;
    const transactionalRequest = request.transactionalId !== null && request.transactionalId !== undefined;
    // Start every append before awaiting any, in request order: the Broker queues them per
    // partition in call order, which keeps pipelined produces in order.
    const topics = request.topicData.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionData.map((partition) => {
        const refused = !acksValid
          ? ErrorCode.INVALID_REQUIRED_ACKS
          : !allowed(context, 'write', 'topic', topic.name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : transactionalRequest || hasTransactionalBatch(partition.records)
            ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
            : partition.records === null
              ? ErrorCode.CORRUPT_MESSAGE
              : ErrorCode.NONE;
        const records = refused === ErrorCode.NONE ? storable(partition.records!, context.apiVersion) : refused;
        if (typeof records !== 'number') stampLeaderEpoch(records, broker.topic(topic.name)?.leaderEpoch ?? 0);
        const result =
          typeof records !== 'number'
            ? broker.produce(topic.name, partition.index, records, { acks: request.acks }).then(
                (r) => partitionResponse(partition.index, r.errorCode, r.baseOffset, r.logAppendTimeMs, r.logStartOffset, r.errorMessage),
                // The Broker answers failures as data: a rejection is an unexpected throw, which the
                // table answers on a partition's path with KAFKA_STORAGE_ERROR.
                (error: unknown) => partitionResponse(partition.index, kafkaCodeFor(error, 'partition'), -1, -1, -1, String(error)),
              )
            : Promise.resolve(partitionResponse(partition.index, records, -1, -1, -1, null));
        return result;
      }),
    }));
    const responses = [];
    for (const topic of topics) {
      responses.push({ ...api.defaultTopicProduceResponse(), name: topic.name, partitionResponses: await Promise.all(topic.partitions) });
    }
    if (request.acks === 0) return null;
    return { ...api.defaultProduceResponse(), responses };
  },
});

function partitionResponse(
  index: number,
  errorCode: number,
  baseOffset: number,
  logAppendTimeMs: number,
  logStartOffset: number,
  errorMessage: string | null,
): PartitionResponse {
  return { ...api.defaultPartitionProduceResponse(), index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, errorMessage };
}

/**
 * The bytes to append for `records` sent at Produce `version`, or the error code refusing them:
 * v2 batches as they are (zstd only from v7), an old message set up-converted at v0-v2 only.
 */
function storable(records: Buffer, version: number): Buffer | number {
  const legacy = someBatchHeader(records, MAGIC_OFFSET + 1, (pos) => records[pos + MAGIC_OFFSET] !== CURRENT_MAGIC);
  if (!legacy) {
    const zstd = someBatchHeader(records, ATTRIBUTES_OFFSET + 2, (pos) => (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) === Compression.zstd);
    return zstd && version < ZSTD_PRODUCE_VERSION_MIN ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : records;
  }
  // Kafka: "Produce requests with version 3 are only allowed to contain record batches with magic version 2".
  if (version >= 3 || firstMagic(records) === CURRENT_MAGIC) return ErrorCode.INVALID_RECORD;
  try {
    return upConvert(records, Date.now(), MESSAGE_MAX_BYTES_LIMIT);
  } catch (error) {
    if (error instanceof LegacyRecordsError) return error.errorCode;
    if (error instanceof DecodeError) return ErrorCode.CORRUPT_MESSAGE;
    throw error;
  }
}

/** Writes `epoch` into every v2 batch's partitionLeaderEpoch (bytes 12..15, outside the CRC). */
function stampLeaderEpoch(records: Buffer, epoch: number): void {
  someBatchHeader(records, PARTITION_LEADER_EPOCH_OFFSET + 4, (pos) => {
    records.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
    return false;
  });
}

/**
 * True when any v2 batch in `records` has the transactional attribute (bit 4). An old message's
 * bytes there are its timestamp or key (magic 0/1 has no such attribute): those are refused as
 * old, not as transactional.
 */
function hasTransactionalBatch(records: Buffer | null): boolean {
  if (records === null) return false;
  return someBatchHeader(records, ATTRIBUTES_OFFSET + 2, (pos) =>
    records[pos + MAGIC_OFFSET] === CURRENT_MAGIC && (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_TRANSACTIONAL) !== 0);
}

/**
 * Walks the batch headers laid end to end in `records` (the length field is at the same place in
 * every message format) while `headerBytes` of one are there, until `test` holds for one. A
 * malformed tail stops the walk and is left for the Broker's framing and CRC checks to refuse.
 */
function someBatchHeader(records: Buffer, headerBytes: number, test: (pos: number) => boolean): boolean {
  let pos = 0;
  while (records.length - pos >= headerBytes) {
    if (test(pos)) return true;
    const batchLength = records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength <= 0) return false;
    pos += batchLength + LOG_OVERHEAD_BYTES;
  }
  return false;
}
