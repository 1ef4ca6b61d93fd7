/**
 * FindCoordinator (api key 10), v0-v6. One broker: every group's coordinator is node 0 at the
 * advertised host/port (the coordinator workers behind it are invisible to clients). v0-v3 ask for
 * one key; v4+ for a batch (KIP-699, `coordinatorKeys`), answered per key in `coordinators`.
 *
 * Per key: a group key needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED); key type 1
 * (transaction) gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED, the error Brook's Produce handler gives
 * transactional producers too (transactions are not supported; clients stop rather than retry);
 * key type 2 (share group, v6, KIP-932) and anything else: INVALID_REQUEST, as Kafka answers a
 * coordinator type it does not serve. errorMessage is null on success.
 */
import * as api from '../../../protocol/apis/find-coordinator.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../../handler.js';
import { allowed } from '../../security/session.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** The first version that batches keys. */
const BATCHED_FROM = 4;

interface Answer {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

function failure(errorCode: number, errorMessage: string | null): Answer {
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

function answerFor(key: string, keyType: number, context: RequestContext): Answer {
  if (keyType === KEY_TYPE_TRANSACTION) return failure(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker');
  if (keyType !== KEY_TYPE_GROUP) return failure(ErrorCode.INVALID_REQUEST, `coordinator key type ${keyType} is not served by this broker`);
  if (!allowed(context, 'describe', 'group', key)) return failure(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Authorization failed.');
  const { broker, advertisedHost, advertisedPort } = context.server;
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.nodeId, host: advertisedHost, port: advertisedPort };
}

export const findCoordinatorHandler = defineHandler<api.FindCoordinatorRequest, api.FindCoordinatorResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.FindCoordinatorResponse {
    if (context.apiVersion >= BATCHED_FROM) {
      const coordinators = request.coordinatorKeys.map((key) => ({ ...api.defaultCoordinator(), key, ...answerFor(key, request.keyType, context) }));
      return { ...api.defaultFindCoordinatorResponse(), coordinators };
    }
    // keyType is 0 (group) below v1: the codec's default.
    return { ...api.defaultFindCoordinatorResponse(), ...answerFor(request.key, request.keyType, context) };
  },
  errorResponse: (errorCode, version) =>
    version >= BATCHED_FROM ? api.defaultFindCoordinatorResponse() : { ...api.defaultFindCoordinatorResponse(), ...failure(errorCode, null) },
});
