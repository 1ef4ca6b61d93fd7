/**
 * DescribeProducers (api key 61), v0 (KIP-664): per partition, the idempotent producers its log
 * remembers (producer id, epoch, last sequence). Brook has no transactions, so coordinatorEpoch and
 * currentTxnStartOffset are always -1; lastTimestamp is -1 too (the producer state keeps sequences
 * and offsets, not times). Needs READ on the topic (else TOPIC_AUTHORIZATION_FAILED); an unknown
 * topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
 */
import * as api from '../../protocol/apis/describe-producers.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { allowed } from '../security/session.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';

export const describeProducersHandler = defineHandler<api.DescribeProducersRequest, api.DescribeProducersResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.DescribeProducersResponse> {
    const { broker } = context.server;
    const topics = await Promise.all(request.topics.map(async (topic) => ({
      ...api.defaultTopicResponse(),
      name: topic.name,
      partitions: await Promise.all(topic.partitionIndexes.map(async (partitionIndex): Promise<api.PartitionResponse> => {
        const base = { ...api.defaultPartitionResponse(), partitionIndex, errorMessage: null };
        if (!allowed(context, 'read', 'topic', topic.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        try {
          const producers = await broker.activeProducers(topic.name, partitionIndex);
          if (producers === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          return { ...base, activeProducers: producers.map((p) => ({ ...api.defaultProducerState(), ...p, lastTimestamp: -1, coordinatorEpoch: -1, currentTxnStartOffset: -1 })) };
        } catch (error) {
          const { errorCode, errorMessage } = kafkaErrorOf(error);
          return { ...base, errorCode, errorMessage };
        }
      })),
    })));
    return { ...api.defaultDescribeProducersResponse(), topics };
  },
  errorResponse: () => api.defaultDescribeProducersResponse(),
});
