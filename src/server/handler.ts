/**
 * What a request handler is, and the registry the dispatcher routes by api key. The registry is
 * the one registration point for APIs: the consumer-group task adds FindCoordinator, JoinGroup, ...
 * with `registry.register(...)`, and ApiVersions advertises exactly what is registered. Main
 * thread only.
 */
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { BrokerApi } from './broker-api.js';
import type { SecurityConfig, SecuritySession } from './security/session.js';
import type { FetchBudget } from './fetch-budget.js';
import type { ReadBufferPool } from '../storage/read-buffers.js';
import type { RequestMetrics } from '../metrics/requests.js';

/** The shape of a generated module in src/protocol/apis/ that a handler needs. */
export interface ApiCodec<Request, Response> {
  readonly API_KEY: number;
  readonly MIN_VERSION: number;
  readonly MAX_VERSION: number;
  /** First flexible (KIP-482) version, or null: decides the request/response header versions. */
  readonly FLEXIBLE_VERSIONS_FROM: number | null;
  decodeRequest(reader: Reader, version: number): Request;
  encodeResponse(writer: Writer, version: number, body: Response): void;
}

/** Server-wide facts and services a handler may use. */
export interface ServerContext {
  readonly broker: BrokerApi;
  readonly registry: HandlerRegistry;
  /** host/port put in Metadata's broker list: what clients should connect to. */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** auto.create.topics.enable */
  readonly autoCreateTopics: boolean;
  /** num.partitions for auto-created topics and CreateTopics with numPartitions -1. */
  readonly numPartitions: number;
  /** Server-wide bound on fetched bytes held until written (absent: unbounded, e.g. in unit tests). */
  readonly fetchBudget?: FetchBudget;
  /** Buffers fetches read into, given back once the response is written (absent: fresh buffers). */
  readonly fetchBuffers?: ReadBufferPool;
  /** SASL users and the authorizer (absent: no authentication, everything allowed). */
  readonly security?: SecurityConfig;
  /** The data dir: the one log dir DescribeLogDirs reports (absent outside a server). */
  readonly dataDir?: string;
  /** Per-API request counts, error codes and latencies for /metrics (absent: not counted). */
  readonly requestMetrics?: RequestMetrics;
}

export interface RequestContext {
  readonly server: ServerContext;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The connection's principal and SASL state; absent (everything allowed) outside a server. */
  readonly session?: SecuritySession;
  /**
   * Runs `callback` once this request's response has left the process (handed to the kernel), or
   * will never be written (no response, connection closed). Absent outside a real connection.
   */
  readonly afterResponseWritten?: (callback: () => void) => void;
}

export interface ApiHandler<Request = unknown, Response = unknown> {
  /** Its MIN_VERSION..MAX_VERSION (Kafka 3.9's range, scripts/gen-protocol.mjs) is served in full. */
  readonly codec: ApiCodec<Request, Response>;
  /**
   * Admin requests run alone on their connection (after every earlier request has settled, before
   * any later one starts), so pipelined "create, then produce" keeps its meaning.
   */
  readonly exclusive: boolean;
  /** The response body, or null for none at all (Produce with acks=0). Kafka errors are data. */
  handle(request: Request, context: RequestContext): Promise<Response | null> | Response | null;
  /**
   * A body answering a request whose body could not be decoded or whose handler failed, with
   * `errorCode` where the API has a place for it. Absent: such a request closes the connection
   * (Produce: an acks=0 request must never be answered, and its acks could not be read).
   */
  errorResponse?(errorCode: number, version: number): Response;
}

export function defineHandler<Request, Response>(handler: ApiHandler<Request, Response>): ApiHandler<Request, Response> {
  return handler;
}

/** The versions a handler serves and advertises. */
export function advertisedRange(handler: ApiHandler<any, any>): { min: number; max: number } {
  return { min: handler.codec.MIN_VERSION, max: handler.codec.MAX_VERSION };
}

export interface AdvertisedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class HandlerRegistry {
  private readonly byApiKey = new Map<number, ApiHandler<unknown, unknown>>();

  register<Request, Response>(handler: ApiHandler<Request, Response>): this {
    const apiKey = handler.codec.API_KEY;
    if (this.byApiKey.has(apiKey)) throw new Error(`a handler for api key ${apiKey} is already registered`);
    this.byApiKey.set(apiKey, handler as unknown as ApiHandler<unknown, unknown>);
    return this;
  }

  get(apiKey: number): ApiHandler<unknown, unknown> | undefined {
    return this.byApiKey.get(apiKey);
  }

  /** What ApiVersions advertises: every registered API at its codec's advertised range. */
  advertised(): AdvertisedApi[] {
    return [...this.byApiKey.values()]
      .map((handler) => {
        const { min, max } = advertisedRange(handler);
        return { apiKey: handler.codec.API_KEY, minVersion: min, maxVersion: max };
      })
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
