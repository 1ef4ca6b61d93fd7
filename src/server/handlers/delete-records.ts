/**
 * DeleteRecords (api key 21), v0-v2: moves each partition's log start offset up to `offset`
 * (-1 = the high watermark); answers the new low watermark. Errors (UNKNOWN_TOPIC_OR_PARTITION,
 * OFFSET_OUT_OF_RANGE above the high watermark) come from the Broker as data.
 */
import * as api from '../../protocol/apis/delete-records.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';

export const deleteRecordsHandler = defineHandler<api.DeleteRecordsRequest, api.DeleteRecordsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.DeleteRecordsResponse> {
    const { broker } = context.server;
    const topics: api.DeleteRecordsTopicResult[] = [];
    for (const topic of request.topics) {
      const partitions: api.DeleteRecordsPartitionResult[] = [];
      for (const partition of topic.partitions) {
        const base = { ...api.defaultDeleteRecordsPartitionResult(), partitionIndex: partition.partitionIndex, lowWatermark: -1 };
        if (!allowed(context, 'delete', 'topic', topic.name)) {
          partitions.push({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
          continue;
        }
        try {
          const result = await broker.deleteRecords(topic.name, partition.partitionIndex, partition.offset);
          partitions.push({ ...base, errorCode: result.errorCode, lowWatermark: result.lowWatermark });
        } catch (error) {
          partitions.push({ ...base, errorCode: kafkaErrorOf(error).errorCode });
        }
      }
      topics.push({ ...api.defaultDeleteRecordsTopicResult(), name: topic.name, partitions });
    }
    return { ...api.defaultDeleteRecordsResponse(), topics };
  },
  errorResponse: () => api.defaultDeleteRecordsResponse(),
});
