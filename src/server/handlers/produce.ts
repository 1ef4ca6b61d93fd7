/**
 * Produce (api key 0), v0-v7: append the request's record batches, byte for byte, to each
 * partition. The records field is a view into the request frame (no copy, no re-encoding); the
 * Broker copies it once into the partition's ring.
 *
 * - acks 0: the append still happens (and is awaited, so an unanswered client cannot make us hold
 *   unbounded work), but no response frame is written at all, as Kafka does.
 * - acks 1 / -1: answered after the append (one host: "all in-sync replicas" is this one).
 * - other acks: INVALID_REQUIRED_ACKS for every partition, nothing written.
 * - transactions are not supported: a transactionalId, or a batch with the transactional attribute
 *   bit, gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) for the partitions concerned: the error
 *   Kafka gives a producer that may not use transactions, fatal (not retried) in every client.
 * - only record batch v2 (magic 2) is stored: a request carrying an older message set (magic 0/1)
 *   gets UNSUPPORTED_FOR_MESSAGE_FORMAT, as Kafka 4 answers.
 *
 * Why v0 is advertised although COMPATIBILITY.md says 3-7: librdkafka 2.0.2 (kcat 1.7.1) compresses
 * with gzip, snappy or lz4 only if the broker's Produce range overlaps [0, 0] (its per-codec
 * "minimum ApiVersion" table leaves those at 0); otherwise it logs "Broker does not support
 * compression type gzip: not compressing batch" and sends the batch uncompressed. Every client we
 * target still picks v7 (librdkafka takes the highest common version), and v0-v2 requests are
 * served with record batch v2 only (see above). lz4 additionally needs FindCoordinator v0
 * advertised (librdkafka's LZ4 feature), which comes with the consumer-group APIs.
 */
import * as api from '../../protocol/apis/produce.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_TRANSACTIONAL,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
} from '../../protocol/record-batch.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';

type Request = api.ProduceRequest;
type Response = api.ProduceResponse;
type PartitionResponse = api.PartitionProduceResponse;

export const produceHandler = defineHandler<Request, Response>({
  codec: api,
  versions: { min: 0, max: api.MAX_VERSION },
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
              : hasOldMessageFormat(partition.records)
                ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT
                : ErrorCode.NONE;
        const result =
          refused === ErrorCode.NONE
            ? broker.produce(topic.name, partition.index, partition.records!, { acks: request.acks }).then(
                (r) => partitionResponse(partition.index, r.errorCode, r.baseOffset, r.logAppendTimeMs, r.logStartOffset, r.errorMessage),
                (error: unknown) =>
                  partitionResponse(partition.index, ErrorCode.KAFKA_STORAGE_ERROR, -1, -1, -1, String(error)),
              )
            : Promise.resolve(partitionResponse(partition.index, refused, -1, -1, -1, null));
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

/** True when some batch is an old message set (magic 0 or 1; the magic byte is at 16 in all). */
function hasOldMessageFormat(records: Buffer): boolean {
  return someBatchHeader(records, MAGIC_OFFSET + 1, (pos) => records[pos + MAGIC_OFFSET] !== CURRENT_MAGIC);
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
