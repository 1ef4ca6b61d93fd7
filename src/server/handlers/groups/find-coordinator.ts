/**
 * FindCoordinator (api key 10), v0-v2. One broker: every group's coordinator is node 0 at the
 * advertised host/port (the coordinator workers behind it are invisible to clients).
 * Key type 1 (transaction) gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED, the error Brook's Produce
 * handler gives transactional producers too (transactions are not supported; clients stop rather
 * than retry). Any other key type: INVALID_REQUEST, as Kafka answers an unknown coordinator type.
 */
import * as api from '../../../protocol/apis/find-coordinator.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../../handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function failure(errorCode: number, errorMessage: string | null): api.FindCoordinatorResponse {
  return { ...api.defaultFindCoordinatorResponse(), errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

export const findCoordinatorHandler = defineHandler<api.FindCoordinatorRequest, api.FindCoordinatorResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.FindCoordinatorResponse {
    const keyType = context.apiVersion >= 1 ? request.keyType : KEY_TYPE_GROUP;
    if (keyType === KEY_TYPE_TRANSACTION) {
      return failure(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker');
    }
    if (keyType !== KEY_TYPE_GROUP) return failure(ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
    const { broker, advertisedHost, advertisedPort } = context.server;
    return { ...api.defaultFindCoordinatorResponse(), nodeId: broker.nodeId, host: advertisedHost, port: advertisedPort };
  },
  errorResponse: (errorCode) => failure(errorCode, null),
});
