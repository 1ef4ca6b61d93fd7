/**
 * ApiVersions (api key 18), v0-v3: lists every registered API at its advertised range. A version
 * outside 0-3 never reaches this handler: the dispatcher answers it with error 35 and a v0 body
 * (COMPATIBILITY.md §4), so librdkafka's v3-first probe and kafkajs' v2-first probe both settle.
 */
import * as api from '../../protocol/apis/api-versions.js';
import { defineHandler, type RequestContext } from '../handler.js';

export const apiVersionsHandler = defineHandler<api.ApiVersionsRequest, api.ApiVersionsResponse>({
  codec: api,
  exclusive: false,
  handle(_request, context: RequestContext): api.ApiVersionsResponse {
    return {
      ...api.defaultApiVersionsResponse(),
      apiKeys: context.server.registry.advertised().map((entry) => ({ ...api.defaultApiVersion(), ...entry })),
    };
  },
  errorResponse: (errorCode) => ({ ...api.defaultApiVersionsResponse(), errorCode }),
});
