/**
 * ListOffsets (api key 2), v1-v2: per partition, timestamp -1 = latest (the next offset), -2 =
 * earliest (log start), else the first offset whose timestamp is >= the one asked (offset -1 and
 * timestamp -1 when there is none, as Kafka answers). isolationLevel needs no special case: without
 * transactions the last stable offset is the high watermark.
 */
import * as api from '../../protocol/apis/list-offsets.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';

type PartitionResponse = api.ListOffsetsPartitionResponse;

export const listOffsetsHandler = defineHandler<api.ListOffsetsRequest, api.ListOffsetsResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.ListOffsetsResponse> {
    const { broker } = context.server;
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        ...api.defaultListOffsetsTopicResponse(),
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (partition): Promise<PartitionResponse> => {
            const base = { ...api.defaultListOffsetsPartitionResponse(), partitionIndex: partition.partitionIndex };
            if (!allowed(context, 'describe', 'topic', topic.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            try {
              const found = await broker.listOffset(topic.name, partition.partitionIndex, partition.timestamp);
              return { ...base, errorCode: found.errorCode, offset: found.offset, timestamp: found.timestamp };
            } catch (error) {
              return { ...base, errorCode: kafkaErrorOf(error).errorCode };
            }
          }),
        ),
      })),
    );
    return { ...api.defaultListOffsetsResponse(), topics };
  },
  errorResponse: () => api.defaultListOffsetsResponse(),
});
