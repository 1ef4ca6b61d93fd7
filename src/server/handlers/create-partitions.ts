/**
 * CreatePartitions (api key 37), v0-v3 (v1 is v0 on the wire, v2+ flexible). Raises a topic's partition count:
 * unknown topic -> UNKNOWN_TOPIC_OR_PARTITION; a count not above the current one or above the
 * limit -> INVALID_PARTITIONS; assignments must place each new partition on node 0 alone
 * (INVALID_REPLICA_ASSIGNMENT). validateOnly checks and changes nothing.
 */
import * as api from '../../protocol/apis/create-partitions.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PARTITIONS_MAX } from '../../common/limits.js';
import { KafkaCodeError } from '../../common/errors.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { attempt } from './errors.js';
import { allowed } from '../security/session.js';

export const createPartitionsHandler = defineHandler<api.CreatePartitionsRequest, api.CreatePartitionsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.CreatePartitionsResponse> {
    const { broker } = context.server;
    const results: api.CreatePartitionsTopicResult[] = [];
    for (const topic of request.topics) {
      const outcome = await attempt(async () => {
        if (!allowed(context, 'alter', 'topic', topic.name)) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
        const info = broker.topic(topic.name);
        if (info === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic.name}' does not exist`);
        if (topic.count <= info.partitionCount || topic.count > PARTITIONS_MAX) {
          throw new KafkaCodeError(ErrorCode.INVALID_PARTITIONS, `topic '${topic.name}' has ${info.partitionCount} partitions; the new count ${topic.count} must be above that and at most ${PARTITIONS_MAX}`);
        }
        const assignments = topic.assignments;
        if (assignments !== null) {
          const valid = assignments.length === topic.count - info.partitionCount &&
            assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === broker.nodeId);
          if (!valid) throw new KafkaCodeError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `each new partition must be assigned to node ${broker.nodeId} alone`);
        }
        if (!request.validateOnly) await broker.createPartitions(topic.name, topic.count);
      });
      results.push({ ...api.defaultCreatePartitionsTopicResult(), name: topic.name, ...outcome });
    }
    return { ...api.defaultCreatePartitionsResponse(), results };
  },
  errorResponse: () => api.defaultCreatePartitionsResponse(),
});
