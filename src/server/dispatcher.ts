/**
 * Turns one request frame into one response frame (or none): header, routing, version checks,
 * body decode, handler, response encode. Stateless apart from the server context; main thread.
 *
 * Request header (v1 non-flexible, v2 flexible; Kafka's RequestHeader.json):
 *
 *   +---------------+-------------------+----------------------+---------------------+---------+
 *   | apiKey int16  | apiVersion int16  | correlationId int32  | clientId nullable   | tagged  |
 *   |               |                   |                      | string (int16 len,  | fields  |
 *   |               |                   |                      | never compact)      | (v2)    |
 *   +---------------+-------------------+----------------------+---------------------+---------+
 *
 * Response frame: size int32 | correlationId int32 | tagged fields (header v1 only) | body.
 *
 * What a bad request gets (the broker keeps serving every other connection either way):
 * - fewer than 8 header bytes, or a clientId that does not decode: the connection is closed;
 * - ApiVersions at a version we do not serve: error 35 with a v0 body listing ApiVersions' own
 *   range, header v0 (what Java brokers do; librdkafka then retries at a version we have);
 * - an unknown api key, or another API at a version we do not serve: the connection is closed
 *   after the answers to earlier requests, as Kafka's network layer does (its request-header parse
 *   throws InvalidRequestException/UnsupportedVersionException and the processor closes the
 *   channel). There is no body every client could decode: each API's response starts differently,
 *   so a bare error code would be read as some other field;
 * - before SASL authentication completes (--sasl-users), any API but ApiVersions, SaslHandshake and
 *   SaslAuthenticate: the connection is closed unanswered (Kafka does the same); after SaslHandshake
 *   v0, frames are bare SASL tokens answered size-prefixed; a failed authentication is answered,
 *   then the connection is closed;
 * - a body that does not decode: the handler's error body with INVALID_REQUEST (42), or a closed
 *   connection for APIs without one (Produce: acks=0 requests must never be answered).
 */
import { DecodeError } from '../protocol/decode-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRequestHeader, encodeResponseHeader } from '../protocol/headers.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { CLOSE_CONNECTION, type Connection, type FrameDispatcher, type FrameOutcome } from './connection.js';
import { advertisedRange, type ApiHandler, type ServerContext } from './handler.js';
import type { SecuritySession } from './security/session.js';

export const API_VERSIONS_KEY = 18;
const HEADER_FIXED_BYTES = 8;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export class RequestDispatcher implements FrameDispatcher {
  constructor(
    private readonly server: ServerContext,
    private readonly log: (message: string) => void = () => {},
    /** This connection's security state; absent: no SASL, everything allowed. */
    private readonly session?: SecuritySession,
  ) {}

  isExclusive(frame: Buffer): boolean {
    if (frame.length < 2) return false;
    return this.server.registry.get(frame.readInt16BE(0))?.exclusive ?? false;
  }

  async dispatch(frame: Buffer, connection: Connection, afterResponseWritten?: (callback: () => void) => void): Promise<FrameOutcome> {
    if (this.session?.expectsRawToken) return this.rawSaslToken(frame, connection);
    if (frame.length < HEADER_FIXED_BYTES) return CLOSE_CONNECTION;
    const apiKey = frame.readInt16BE(0);
    if (this.session !== undefined && !this.session.mayServe(apiKey)) {
      this.log(`${connection.remoteAddress}: api ${apiKey} before SASL authentication; closing the connection`);
      return CLOSE_CONNECTION;
    }
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.server.registry.get(apiKey);
    if (handler === undefined) {
      this.log(`${connection.remoteAddress}: unknown api key ${apiKey}; closing the connection`);
      return CLOSE_CONNECTION;
    }
    const { min, max } = advertisedRange(handler);
    if (apiVersion < min || apiVersion > max) {
      if (apiKey === API_VERSIONS_KEY) return [apiVersionsFallbackFrame(correlationId, min, max)];
      this.log(`${connection.remoteAddress}: api ${apiKey} v${apiVersion} is outside ${min}-${max}; closing the connection`);
      return CLOSE_CONNECTION;
    }
    const reader = new Reader(frame);
    let clientId: string | null;
    try {
      // The same header decoder the protocol fuzz tests exercise (v1, or v2 in flexible versions).
      clientId = decodeRequestHeader(reader).clientId;
    } catch (error) {
      if (error instanceof DecodeError) return CLOSE_CONNECTION;
      throw error;
    }
    const header: RequestHeader = { apiKey, apiVersion, correlationId, clientId };
    const metrics = this.server.requestMetrics;
    const startedMs = metrics === undefined ? 0 : performance.now();
    let request: unknown;
    try {
      request = handler.codec.decodeRequest(reader, apiVersion);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.log(`${connection.remoteAddress}: undecodable api ${apiKey} v${apiVersion} request: ${error.message}`);
      metrics?.observeError(apiKey, ErrorCode.INVALID_REQUEST, (performance.now() - startedMs) / 1000);
      return this.errorFrame(handler, header, ErrorCode.INVALID_REQUEST);
    }
    let response: unknown;
    try {
      response = await handler.handle(request, { server: this.server, apiVersion, correlationId, clientId, session: this.session, afterResponseWritten });
    } catch (error) {
      this.log(`${connection.remoteAddress}: api ${apiKey} v${apiVersion} handler failed: ${describe(error)}`);
      metrics?.observeError(apiKey, ErrorCode.UNKNOWN_SERVER_ERROR, (performance.now() - startedMs) / 1000);
      return this.errorFrame(handler, header, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    metrics?.observe(apiKey, request, response, (performance.now() - startedMs) / 1000);
    if (response === null) return null;
    const answer = this.encodeFrame(handler, header, response);
    // Failed authentication: the answer is written (in order), then the connection is closed.
    if (this.session?.mustClose) void connection.drainAndClose();
    return answer;
  }

  /** A bare SASL token after SaslHandshake v0: size | token, answered the same way (no headers). */
  private rawSaslToken(frame: Buffer, connection: Connection): FrameOutcome {
    const answer = this.session!.authenticate(frame);
    if (answer.errorCode !== ErrorCode.NONE) {
      this.log(`${connection.remoteAddress}: ${answer.errorMessage ?? 'SASL authentication failed'}`);
      return CLOSE_CONNECTION;
    }
    const size = Buffer.alloc(4);
    size.writeInt32BE(answer.authBytes.length, 0);
    return [size, answer.authBytes];
  }

  private errorFrame(handler: ApiHandler, header: RequestHeader, errorCode: number): FrameOutcome {
    if (handler.errorResponse === undefined) return CLOSE_CONNECTION;
    return this.encodeFrame(handler, header, handler.errorResponse(errorCode, header.apiVersion));
  }

  private encodeFrame(handler: ApiHandler, header: RequestHeader, body: unknown): Buffer[] {
    const writer = new Writer(512);
    writer.writeInt32(0); // size, patched below
    // Response header v1 (tagged fields) for flexible versions, except ApiVersions: always v0.
    encodeResponseHeader(writer, header.apiKey, header.apiVersion, header.correlationId);
    handler.codec.encodeResponse(writer, header.apiVersion, body);
    writer.patchInt32(0, writer.byteLength - 4);
    return writer.toChunks();
  }
}

/**
 * ApiVersions v0 body with error 35 and ApiVersions' own range (header v0, as for every ApiVersions
 * response):  size | correlationId | errorCode int16 | apiKeys count int32 = 1 | 18 | min | max
 */
function apiVersionsFallbackFrame(correlationId: number, minVersion: number, maxVersion: number): Buffer {
  const frame = Buffer.alloc(4 + 4 + 2 + 4 + 6);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt32BE(correlationId, 4);
  frame.writeInt16BE(ErrorCode.UNSUPPORTED_VERSION, 8);
  frame.writeInt32BE(1, 10);
  frame.writeInt16BE(API_VERSIONS_KEY, 14);
  frame.writeInt16BE(minVersion, 16);
  frame.writeInt16BE(maxVersion, 18);
  return frame;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
