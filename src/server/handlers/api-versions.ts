/**
 * ApiVersions (api key 18), v0-v4: lists every registered API at its advertised range. A version
 * outside 0-4 never reaches this handler: the dispatcher answers it with error 35 and a v0 body
 * (COMPATIBILITY.md §4), so librdkafka's v3-first probe and kafkajs' v2-first probe both settle.
 * v3+ carry the client's software name and version (KIP-511); like Kafka, a name or version that
 * is not [a-zA-Z0-9] with inner '-' and '.' gets INVALID_REQUEST (librdkafka then retries at v0).
 */
import * as api from '../../protocol/apis/api-versions.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';

/** Kafka's ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN. */
const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
const CLIENT_SOFTWARE_FROM = 3;

export const apiVersionsHandler = defineHandler<api.ApiVersionsRequest, api.ApiVersionsResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.ApiVersionsResponse {
    const valid = context.apiVersion < CLIENT_SOFTWARE_FROM
      || (SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareName) && SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareVersion));
    if (!valid) return { ...api.defaultApiVersionsResponse(), errorCode: ErrorCode.INVALID_REQUEST };
    return {
      ...api.defaultApiVersionsResponse(),
      apiKeys: context.server.registry.advertised().map((entry) => ({ ...api.defaultApiVersion(), ...entry })),
    };
  },
  errorResponse: (errorCode) => ({ ...api.defaultApiVersionsResponse(), errorCode }),
});
