/**
 * SaslHandshake (api key 17), v0-v1: picks the connection's SASL mechanism. v1 is followed by
 * SaslAuthenticate requests; v0 by bare, size-prefixed SASL tokens (the dispatcher hands those to
 * the session; see security/session.ts). Answers UNSUPPORTED_SASL_MECHANISM with the enabled list
 * for a mechanism that is not enabled, ILLEGAL_SASL_STATE when SASL is off or the handshake
 * already happened (as a Kafka broker answers on a listener without SASL).
 */
import * as api from '../../protocol/apis/sasl-handshake.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';

export const saslHandshakeHandler = defineHandler<api.SaslHandshakeRequest, api.SaslHandshakeResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.SaslHandshakeResponse {
    if (context.session === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return context.session.handshake(request.mechanism, context.apiVersion);
  },
  errorResponse: (errorCode) => ({ ...api.defaultSaslHandshakeResponse(), errorCode }),
});
