/**
 * SaslAuthenticate (api key 36), v0-v2: one round of the SASL exchange chosen by SaslHandshake v1
 * (PLAIN: one round; SCRAM: two). Sessions do not expire (sessionLifetimeMs 0: no KIP-368
 * re-authentication). A failure is answered with SASL_AUTHENTICATION_FAILED (or
 * ILLEGAL_SASL_STATE out of order) and a message, and then the dispatcher closes the connection.
 */
import * as api from '../../protocol/apis/sasl-authenticate.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';

export const saslAuthenticateHandler = defineHandler<api.SaslAuthenticateRequest, api.SaslAuthenticateResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.SaslAuthenticateResponse {
    if (context.session === undefined) {
      return { ...api.defaultSaslAuthenticateResponse(), errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled' };
    }
    return { ...context.session.authenticate(request.authBytes), sessionLifetimeMs: 0 };
  },
  errorResponse: (errorCode) => ({ ...api.defaultSaslAuthenticateResponse(), errorCode, errorMessage: null }),
});
