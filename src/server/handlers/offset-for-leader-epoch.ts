/**
 * OffsetForLeaderEpoch (api key 23), v0-v4 (KIP-101, KIP-320): the end offset of a leader epoch,
 * which consumers ask for to validate their position after a metadata change (did the log they
 * read get truncated under them?).
 *
 * One host has one epoch E per partition for the life of a topic (metadata-log.ts), starting at the
 * log start offset, so Kafka's LeaderEpochFileCache.endOffsetFor reduces to:
 *   requested -1      -> epoch -1, offset -1 (undefined)
 *   requested E       -> E, the high watermark (the epoch is still being written)
 *   requested < E     -> the requested epoch, the log start offset (the start of the first later
 *                        epoch: a consumer of a deleted same-name topic sees its log end there)
 *   requested > E     -> -1, -1 (no such epoch yet)
 * v2+ fence the client's current leader epoch first (leader-epoch.ts). Topics need DESCRIBE.
 */
import * as api from '../../protocol/apis/offset-for-leader-epoch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';
import { leaderEpochError, NO_LEADER_EPOCH } from './leader-epoch.js';

type Request = api.OffsetForLeaderEpochRequest;
type Response = api.OffsetForLeaderEpochResponse;
type EpochEndOffset = api.EpochEndOffset;

export const offsetForLeaderEpochHandler = defineHandler<Request, Response>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): Response {
    const { broker } = context.server;
    const topics = request.topics.map((topic) => {
      const info = broker.topic(topic.topic);
      const denied = !allowed(context, 'describe', 'topic', topic.topic);
      const partitions = topic.partitions.map((p): EpochEndOffset => {
        const answer = (errorCode: number, leaderEpoch = NO_LEADER_EPOCH, endOffset = -1): EpochEndOffset => ({
          ...api.defaultEpochEndOffset(), partition: p.partition, errorCode, leaderEpoch, endOffset,
        });
        if (denied) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        const state = info === undefined ? undefined : broker.partitionState(topic.topic, p.partition);
        if (info === undefined || state === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const fenced = leaderEpochError(p.currentLeaderEpoch, info.leaderEpoch);
        if (fenced !== ErrorCode.NONE) return answer(fenced);
        if (p.leaderEpoch === NO_LEADER_EPOCH || p.leaderEpoch > info.leaderEpoch) return answer(ErrorCode.NONE);
        if (p.leaderEpoch === info.leaderEpoch) return answer(ErrorCode.NONE, info.leaderEpoch, state.highWatermark);
        return answer(ErrorCode.NONE, p.leaderEpoch, state.logStartOffset);
      });
      return { ...api.defaultOffsetForLeaderTopicResult(), topic: topic.topic, partitions };
    });
    return { ...api.defaultOffsetForLeaderEpochResponse(), topics };
  },
  errorResponse: () => api.defaultOffsetForLeaderEpochResponse(),
});
