/**
 * DeleteTopics (api key 20), v0-v6: deletes each topic, errors per topic as data. v6 names topics
 * by name or by id (KIP-516): both set is INVALID_REQUEST, an unknown id UNKNOWN_TOPIC_ID, and
 * the answer carries both. v5+ answers carry an error message.
 */
import * as api from '../../protocol/apis/delete-topics.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ZERO_UUID } from '../../protocol/apis/runtime.js';
import { attempt } from './errors.js';
import { allowed } from '../security/session.js';

type Result = api.DeletableTopicResult;

export const deleteTopicsHandler = defineHandler<api.DeleteTopicsRequest, api.DeleteTopicsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.DeleteTopicsResponse> {
    const wanted = context.apiVersion >= 6
      ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
      : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    for (const topic of wanted) responses.push(await deleteOne(topic.name, topic.topicId, context));
    return { ...api.defaultDeleteTopicsResponse(), responses };
  },
  errorResponse: () => api.defaultDeleteTopicsResponse(),
});

async function deleteOne(name: string | null, topicId: string, context: RequestContext): Promise<Result> {
  const { broker } = context.server;
  const result = (errorCode: number, errorMessage: string | null, resolvedName = name, id = topicId): Result =>
    ({ ...api.defaultDeletableTopicResult(), name: resolvedName, topicId: id, errorCode, errorMessage });
  if ((name === null) === (topicId === ZERO_UUID)) {
    return result(ErrorCode.INVALID_REQUEST, 'a topic to delete needs a name or a topic id, not both');
  }
  const info = name === null ? broker.topics().find((t) => t.topicId === topicId) : broker.topic(name);
  if (name === null && (info === undefined || !allowed(context, 'describe', 'topic', info.name))) {
    return result(ErrorCode.UNKNOWN_TOPIC_ID, `no topic with id ${topicId}`);
  }
  const topicName = info?.name ?? name!;
  if (!allowed(context, 'delete', 'topic', topicName)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.', topicName);
  const outcome = await attempt(() => broker.deleteTopic(topicName));
  return result(outcome.errorCode, outcome.errorMessage, topicName, info?.topicId ?? ZERO_UUID);
}
