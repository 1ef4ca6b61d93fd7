/**
 * Request and response headers, and whole frames.
 *
 *   frame            int32 size (bytes after this field), header, body
 *   request header   v1: int16 apiKey, int16 apiVersion, int32 correlationId, nullable string
 *                        clientId (classic int16 length even in v2)
 *                    v2: v1 + tagged fields
 *   response header  v0: int32 correlationId
 *                    v1: v0 + tagged fields
 *
 * Which version an (apiKey, apiVersion) uses is decided in api-keys.ts (ApiVersions' response
 * header is always v0). Frames come out as chunks so that big record buffers in fetch responses
 * reach the socket without being copied into the frame.
 */
import { API_BY_KEY, requestHeaderVersion, responseHeaderVersion, type ApiModule } from './api-keys.js';
import { DecodeError } from './decode-error.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { assert } from '../common/assert.js';
import * as requestHeaderCodec from './apis/request-header.js';
import * as responseHeaderCodec from './apis/response-header.js';
import type { RequestHeader } from './apis/request-header.js';
import type { ResponseHeader } from './apis/response-header.js';

export type { RequestHeader, ResponseHeader };

const FRAME_SIZE_BYTES = 4;

/** Reads a request header, choosing its version from the apiKey and apiVersion it starts with. */
export function decodeRequestHeader(reader: Reader): RequestHeader {
  const start = reader.pos;
  const apiKey = reader.readInt16();
  const apiVersion = reader.readInt16();
  reader.pos = start;
  return requestHeaderCodec.decode(reader, requestHeaderVersion(apiKey, apiVersion));
}

export function encodeRequestHeader(writer: Writer, header: RequestHeader): void {
  const version = requestHeaderVersion(header.requestApiKey, header.requestApiVersion);
  requestHeaderCodec.encode(writer, version, header);
}

export function decodeResponseHeader(reader: Reader, apiKey: number, apiVersion: number): ResponseHeader {
  return responseHeaderCodec.decode(reader, responseHeaderVersion(apiKey, apiVersion));
}

export function encodeResponseHeader(writer: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  responseHeaderCodec.encode(writer, responseHeaderVersion(apiKey, apiVersion), { correlationId });
}

function codecFor(apiKey: number): ApiModule {
  const api = API_BY_KEY.get(apiKey);
  assert(api !== undefined, `no codec for api key ${apiKey}`);
  return api;
}

function finishFrame(writer: Writer): Buffer[] {
  writer.patchInt32(0, writer.byteLength - FRAME_SIZE_BYTES);
  return writer.toChunks();
}

/** A size-prefixed request frame as chunks (concatenate, or write them in order). */
export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer[] {
  const api = codecFor(apiKey);
  const writer = new Writer(512);
  writer.writeInt32(0);
  encodeRequestHeader(writer, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId });
  api.encodeRequest(writer, apiVersion, body);
  return finishFrame(writer);
}

/** A size-prefixed response frame as chunks; large record buffers are referenced, not copied. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const api = codecFor(apiKey);
  const writer = new Writer(512);
  writer.writeInt32(0);
  encodeResponseHeader(writer, apiKey, apiVersion, correlationId);
  api.encodeResponse(writer, apiVersion, body);
  return finishFrame(writer);
}

export interface DecodedRequest {
  header: RequestHeader;
  /** The API's request body type (see src/protocol/apis/<api>.ts); narrow by header.requestApiKey. */
  body: unknown;
}

/**
 * Decodes one request frame WITHOUT its int32 size prefix (the connection has already cut it).
 * Throws DecodeError for malformed bytes and for an api key or version no codec covers; a server
 * that must answer those (ApiVersions with UNSUPPORTED_VERSION) decodes the header alone first.
 */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  const reader = new Reader(frame);
  const header = decodeRequestHeader(reader);
  const api = API_BY_KEY.get(header.requestApiKey);
  if (api === undefined) throw new DecodeError(`unknown api key ${header.requestApiKey}`);
  return { header, body: api.decodeRequest(reader, header.requestApiVersion) };
}

/** Decodes one response frame without its size prefix; the caller knows the request it answers. */
export function decodeResponseFrame(
  frame: Buffer,
  apiKey: number,
  apiVersion: number,
): { correlationId: number; body: unknown } {
  const reader = new Reader(frame);
  const { correlationId } = decodeResponseHeader(reader, apiKey, apiVersion);
  return { correlationId, body: codecFor(apiKey).decodeResponse(reader, apiVersion) };
}
