/**
 * InitProducerId (api key 22), v0-v5: hands an idempotent producer a fresh producerId with epoch 0
 * (v3+ may name a producer id and epoch to bump; without a transactional id Kafka ignores them and
 * hands out a new id, and so do we) (the Broker's, from ProducerIdAllocator: durable blocks, never reused across restarts). Transactions
 * are not supported, so a request with a transactionalId gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * the code Kafka gives a client that may not use transactional ids: fatal, not retried, clear.
 */
import * as api from '../../protocol/apis/init-producer-id.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';

export const initProducerIdHandler = defineHandler<api.InitProducerIdRequest, api.InitProducerIdResponse>({
  codec: api,
  exclusive: false,
  async handle(request, context: RequestContext): Promise<api.InitProducerIdResponse> {
    if (request.transactionalId !== null) {
      return { ...api.defaultInitProducerIdResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    }
    // Kafka asks for IdempotentWrite on the cluster, or write on some topic; Brook: the latter.
    if (context.session !== undefined && !context.session.authorizeAny('write', 'topic')) {
      return { ...api.defaultInitProducerIdResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    }
    const { producerId, producerEpoch } = await context.server.broker.initProducerId();
    return { ...api.defaultInitProducerIdResponse(), producerId, producerEpoch };
  },
  errorResponse: (errorCode) => ({ ...api.defaultInitProducerIdResponse(), errorCode }),
});
