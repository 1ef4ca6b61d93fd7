/**
 * DeleteTopics (api key 20), v0-v6: deletes each topic, errors per topic as data. v6 names topics
 * by name or by id (KIP-516): both set is INVALID_REQUEST, an unknown id UNKNOWN_TOPIC_ID, and
 * the answer carries both. v5+ answers carry an error message.
 */
import * as api from '../../protocol/apis/delete-topics.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ZERO_UUID } from '../../protocol/apis/runtime.js';
import { kafkaErrorOf } from './errors.js';
import { allowed } from '../security/session.js';

type Result = api.DeletableTopicResult;

export const deleteTopicsHandler = defineHandler<api.DeleteTopicsRequest, api.DeleteTopicsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.DeleteTopicsResponse> {
    const wanted = context.apiVersion >= 6
      ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
      : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const plans = wanted.map((topic) => planOne(topic.name, topic.topicId, context));
    // Kafka's controller refuses a topic named twice in one request, each time.
    const seen = new Map<string, number>();
    for (const plan of plans) if ('pending' in plan) seen.set(plan.pending.name!, (seen.get(plan.pending.name!) ?? 0) + 1);
    const finalPlans = plans.map((plan) => 'pending' in plan && seen.get(plan.pending.name!)! > 1
      ? { done: { ...plan.pending, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' } }
      : plan);
    // Every deletable topic in one broker call: one metadata record, all partitions closed together.
    const pending = finalPlans.flatMap((plan) => ('pending' in plan ? [plan.pending] : []));
    let errors: (Error | null)[];
    try {
      errors = await context.server.broker.deleteTopics(pending.map((r) => r.name!));
    } catch (err) {
      errors = pending.map(() => err as Error); // the metadata record failed (e.g. a full disk): none was deleted
    }
    const outcomes = new Map(pending.map((r, i) => [r, errors[i] ?? null]));
    const responses = finalPlans.map((plan): Result => {
      if ('done' in plan) return plan.done;
      const error = outcomes.get(plan.pending) ?? null;
      if (error === null) return plan.pending;
      const { errorCode, errorMessage } = kafkaErrorOf(error);
      return { ...plan.pending, errorCode, errorMessage };
    });
    return { ...api.defaultDeleteTopicsResponse(), responses };
  },
  errorResponse: () => api.defaultDeleteTopicsResponse(),
});

/** A topic's answer decided already (done), or to be decided by the deletion (pending, answered NONE if it succeeds). */
type Plan = { done: Result } | { pending: Result };

function planOne(name: string | null, topicId: string, context: RequestContext): Plan {
  const { broker } = context.server;
  const result = (errorCode: number, errorMessage: string | null, resolvedName = name, id = topicId): Result =>
    ({ ...api.defaultDeletableTopicResult(), name: resolvedName, topicId: id, errorCode, errorMessage });
  if ((name === null) === (topicId === ZERO_UUID)) {
    return { done: result(ErrorCode.INVALID_REQUEST, 'a topic to delete needs a name or a topic id, not both') };
  }
  const info = name === null ? broker.topics().find((t) => t.topicId === topicId) : broker.topic(name);
  if (name === null && (info === undefined || !allowed(context, 'describe', 'topic', info.name))) {
    return { done: result(ErrorCode.UNKNOWN_TOPIC_ID, `no topic with id ${topicId}`) };
  }
  const topicName = info?.name ?? name!;
  if (!allowed(context, 'delete', 'topic', topicName)) return { done: result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.', topicName) };
  return { pending: result(ErrorCode.NONE, null, topicName, info?.topicId ?? ZERO_UUID) };
}
