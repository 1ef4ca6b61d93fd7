/** DeleteTopics (api key 20), v0-v1: deletes each named topic; errors per topic as data. */
import * as api from '../../protocol/apis/delete-topics.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { attempt } from './errors.js';
import { allowed } from '../security/session.js';

export const deleteTopicsHandler = defineHandler<api.DeleteTopicsRequest, api.DeleteTopicsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.DeleteTopicsResponse> {
    const responses: api.DeletableTopicResult[] = [];
    for (const name of request.topicNames) {
      if (!allowed(context, 'delete', 'topic', name)) {
        responses.push({ ...api.defaultDeletableTopicResult(), name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const outcome = await attempt(() => context.server.broker.deleteTopic(name));
      responses.push({ ...api.defaultDeletableTopicResult(), name, ...outcome });
    }
    return { ...api.defaultDeleteTopicsResponse(), responses };
  },
  errorResponse: () => api.defaultDeleteTopicsResponse(),
});
