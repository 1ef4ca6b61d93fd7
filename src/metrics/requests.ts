/**
 * Per Kafka API: requests served, error codes answered, and how long each took from decode to the
 * response being ready (Kafka's RequestsPerSec, ErrorsPerSec and TotalTimeMs, as Prometheus
 * counters and a histogram). Also counts consumer-group rebalances from JoinGroup answers. The
 * request dispatcher calls `observe` once per request. Main thread only; one per BrookServer.
 */
import { API_BY_KEY } from '../protocol/api-keys.js';
import { errorName } from '../protocol/error-codes.js';
import type { ExpositionWriter } from './exposition.js';

/** Seconds; Produce and Fetch sit between 0.1 ms and a fetch's maxWaitMs (500 ms by default). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOIN_GROUP_KEY = 11;
/** How deep `errorCode` fields are looked for in a response (Produce: responses[].partitionResponses[]). */
const ERROR_SCAN_DEPTH = 6;

interface ApiCounters {
  requestCount: number;
  errorsByCode: Map<number, number>;
  bucketCounts: Float64Array;
  latencySumSeconds: number;
}

export class RequestMetrics {
  private readonly byApi = new Map<number, ApiCounters>();
  /** Per group: the last generationId a JoinGroup answered and how many generations were seen. */
  private readonly rebalances = new Map<string, { generationId: number; count: number }>();

  /**
   * One request answered. `response` is the handler's body (null when none is sent); every
   * non-zero `errorCode` in it counts once (one per partition or resource it was answered for).
   */
  observe(apiKey: number, request: unknown, response: unknown, seconds: number): void {
    const api = this.countersOf(apiKey);
    api.requestCount++;
    api.latencySumSeconds += seconds;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]!) bucket++;
    if (bucket < LATENCY_BUCKETS_SECONDS.length) api.bucketCounts[bucket]!++;
    if (response !== null && typeof response === 'object') {
      forEachErrorCode(response, ERROR_SCAN_DEPTH, (code) => api.errorsByCode.set(code, (api.errorsByCode.get(code) ?? 0) + 1));
      if (apiKey === JOIN_GROUP_KEY) this.observeJoin(request, response);
    }
  }

  /** A request answered with one error code and no body of its own (undecodable, handler failure). */
  observeError(apiKey: number, errorCode: number, seconds: number): void {
    this.observe(apiKey, null, { errorCode }, seconds);
  }

  private countersOf(apiKey: number): ApiCounters {
    let api = this.byApi.get(apiKey);
    if (api === undefined) {
      api = { requestCount: 0, errorsByCode: new Map(), bucketCounts: new Float64Array(LATENCY_BUCKETS_SECONDS.length), latencySumSeconds: 0 };
      this.byApi.set(apiKey, api);
    }
    return api;
  }

  /** Every member's JoinGroup of one rebalance answers the same new generationId: count it once. */
  private observeJoin(request: unknown, response: object): void {
    const groupId = (request as { groupId?: unknown } | null)?.groupId;
    const generationId = (response as { generationId?: unknown }).generationId;
    if (typeof groupId !== 'string' || typeof generationId !== 'number' || generationId < 0) return;
    const seen = this.rebalances.get(groupId);
    if (seen === undefined) this.rebalances.set(groupId, { generationId, count: 1 });
    else if (seen.generationId !== generationId) {
      seen.generationId = generationId;
      seen.count++;
    }
  }

  /** Rebalances this server saw complete for `groupId` (new generations answered to JoinGroup). */
  rebalanceCount(groupId: string): number {
    return this.rebalances.get(groupId)?.count ?? 0;
  }

  /** Writes brook_requests_total, brook_request_errors_total and brook_request_duration_seconds. */
  write(out: ExpositionWriter): void {
    const apis = [...this.byApi.entries()].sort((a, b) => a[0] - b[0]).map(([key, counters]) => ({ name: apiName(key), counters }));
    out.family('brook_requests_total', 'counter', 'Kafka requests answered, by API.');
    for (const { name, counters } of apis) out.sample('brook_requests_total', `{api="${name}"}`, counters.requestCount);
    out.family('brook_request_errors_total', 'counter', 'Error codes answered (one per partition or resource), by API and Kafka error name.');
    for (const { name, counters } of apis) {
      for (const [code, count] of counters.errorsByCode) out.sample('brook_request_errors_total', `{api="${name}",error="${errorName(code)}"}`, count);
    }
    out.family('brook_request_duration_seconds', 'histogram', 'Time from a request decoded to its response ready, by API (fetch includes its long poll).');
    for (const { name, counters } of apis) {
      out.histogram('brook_request_duration_seconds', `api="${name}"`, LATENCY_BUCKETS_SECONDS, counters.bucketCounts, counters.latencySumSeconds, counters.requestCount);
    }
  }
}

function apiName(apiKey: number): string {
  return API_BY_KEY.get(apiKey)?.API_NAME ?? `Api${apiKey}`;
}

/** Calls `visit` for every non-zero numeric `errorCode` field in plain objects and arrays (Buffers skipped). */
export function forEachErrorCode(value: object, depth: number, visit: (code: number) => void): void {
  if (ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    if (depth > 0) for (const item of value) if (item !== null && typeof item === 'object') forEachErrorCode(item, depth - 1, visit);
    return;
  }
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (key === 'errorCode') {
      if (typeof field === 'number' && field !== 0) visit(field);
    } else if (depth > 0 && field !== null && typeof field === 'object') {
      forEachErrorCode(field, depth - 1, visit);
    }
  }
}
