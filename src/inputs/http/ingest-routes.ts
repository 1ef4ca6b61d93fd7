/**
 * HTTP ingest on the listener of `brook serve --http HOST:PORT` (src/http/): mounted by one call
 * in src/http/routes.ts.
 *
 *   POST /topics/{topic}   Content-Type chooses the body:
 *       application/vnd.kafka.json.v2+json, application/json   REST Proxy v2 JSON   → {"offsets": [...]}
 *       application/vnd.kafka.binary.v2+json                   REST Proxy v2 base64 → {"offsets": [...]}
 *       application/x-ndjson                                   one JSON value per line → {"record_count": n}
 *       text/plain                                             one record per line     → {"record_count": n}
 *   POST /v1/logs          OTLP/HTTP logs, JSON (otlp-logs.ts); ?topic= (default otlp-logs, a template allowed)
 *   GET  /inputs           every input's counters (stats.ts), JSON
 *
 * Every write: the topic's name is checked, the caller must hold WRITE on it (and CREATE to have
 * it auto-created) under the Kafka listener's ACLs, the body is read whole within the topic's
 * max.message.bytes (else 413), and only then is anything sent; the answer comes once every
 * record is acknowledged (acks=all). Backpressure: when the producer's buffer stays full for
 * backpressureWaitMs (5 s) the request is refused with 429 THROTTLING_QUOTA_EXCEEDED and Retry-After;
 * a log that cannot take writes answers 503 with Retry-After. Errors are JSON with Kafka's name.
 */
import type http from 'node:http';
import { MESSAGE_MAX_BYTES_DEFAULT } from '../../common/limits.js';
import type { BrookBackend } from '../../embedded/backend.js';
import { BrokerBackend } from '../../embedded/broker-backend.js';
import { Producer, type ProducerOptions, type RecordMetadata } from '../../embedded/producer.js';
import { KafkaError } from '../../embedded/kafka-error.js';
import type { Broker } from '../../engine/broker.js';
import type { HttpExchange, HttpRouter } from '../../http/router.js';
import { sendError, sendJson } from '../../http/router.js';
import type { SecurityConfig } from '../../server/security/session.js';
import { validateTopicName } from '../../storage/topic-names.js';
import { inputStatsOf, registerInputStats } from '../registry.js';
import { Routing } from '../routing.js';
import { InputSink, type InputRecord } from '../sink.js';
import { InputStats } from '../stats.js';
import { HttpIngestError, httpErrorOf } from './ingest-errors.js';
import { ndjsonBody } from './ndjson.js';
import { otlpLogRecords } from './otlp-logs.js';
import { readBody } from './request-body.js';
import { restProxyRecords, type EmbeddedFormat } from './rest-proxy.js';

export interface IngestContext {
  /** The serve process's Broker (a backend is made around it), or a backend directly (embedded). */
  broker?: Broker;
  backend?: BrookBackend;
  security?: SecurityConfig;
  autoCreateTopics?: boolean;
  numPartitions?: number;
  /** The ingest producer's options (buffer.memory is what backpressure measures). */
  producer?: ProducerOptions;
  /** How long a request waits for room in the producer's buffer before 429. Default 5000. */
  backpressureWaitMs?: number;
}

export const OTLP_TOPIC_DEFAULT = 'otlp-logs';
const BACKPRESSURE_WAIT_MS_DEFAULT = 5000;
/** How long a topic's max.message.bytes is trusted (a config change applies within it). */
const TOPIC_CACHE_MS = 1000;
const TOPIC_CACHE_MAX = 10_000;

class Ingest {
  readonly stats = new InputStats('http');
  private readonly topics = new Map<string, { maxMessageBytes: number; atMs: number }>();
  private producerInstance: Producer | null = null;

  constructor(
    readonly backend: BrookBackend,
    readonly owner: object,
    private readonly context: IngestContext,
  ) {
    registerInputStats(owner, this.stats);
  }

  /** Made on first use, so a listener that only serves metrics holds no producer. */
  get producer(): Producer {
    this.producerInstance ??= new Producer(this.backend, { lingerMs: 2, ...this.context.producer });
    return this.producerInstance;
  }

  /** Checks the topic name and the caller's ACLs; answers the topic's max.message.bytes. */
  async admit(principal: string, topic: string): Promise<number> {
    try {
      validateTopicName(topic);
    } catch (error) {
      throw new HttpIngestError(400, 'INVALID_TOPIC_EXCEPTION', (error as Error).message);
    }
    const authorizer = this.context.security?.authorizer ?? null;
    if (authorizer !== null && !authorizer.authorize(principal, 'write', 'topic', topic)) {
      throw new HttpIngestError(403, 'TOPIC_AUTHORIZATION_FAILED', `${principal} may not write to topic '${topic}'`);
    }
    const maxMessageBytes = await this.maxMessageBytes(topic);
    if (maxMessageBytes !== null) return maxMessageBytes;
    if (!this.backend.autoCreateTopics) throw new HttpIngestError(404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' does not exist`);
    if (authorizer !== null && !authorizer.authorize(principal, 'create', 'topic', topic) && !authorizer.authorize(principal, 'create', 'cluster', '')) {
      throw new HttpIngestError(403, 'TOPIC_AUTHORIZATION_FAILED', `${principal} may not create topic '${topic}'`);
    }
    return MESSAGE_MAX_BYTES_DEFAULT;
  }

  /**
   * The topic's max.message.bytes, or null when it does not exist. Looked up at most once per
   * TOPIC_CACHE_MS per topic: a describe per request would cost a hop to the partition workers.
   */
  private async maxMessageBytes(topic: string): Promise<number | null> {
    const cached = this.topics.get(topic);
    if (cached !== undefined && Date.now() - cached.atMs < TOPIC_CACHE_MS) return cached.maxMessageBytes;
    const found = await this.backend.describeTopic(topic);
    const maxMessageBytes = found === undefined ? null : Number(found.configs['max.message.bytes'] ?? MESSAGE_MAX_BYTES_DEFAULT);
    if (this.topics.size >= TOPIC_CACHE_MAX) this.topics.clear();
    if (maxMessageBytes !== null) this.topics.set(topic, { maxMessageBytes, atMs: Date.now() });
    return maxMessageBytes;
  }

  /** Waits (a while) for room in the producer's buffer; refuses with 429 when none comes. */
  async room(): Promise<void> {
    const producer = this.producer;
    if (producer.hasCapacity()) return;
    let timer: NodeJS.Timeout | undefined;
    const waitMs = this.context.backpressureWaitMs ?? BACKPRESSURE_WAIT_MS_DEFAULT;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)));
    const full = await Promise.race([producer.ready().then(() => false), timedOut]);
    clearTimeout(timer);
    if (full) throw new HttpIngestError(429, 'THROTTLING_QUOTA_EXCEEDED', 'the log is not keeping up; retry later', 1);
  }

  sink(topic: string, keyField: string | null): InputSink {
    return new InputSink(this.producer, new Routing({ topic, keyField: keyField ?? undefined }), this.stats, () => {});
  }

  /** Sends records through a sink; a record refused or lost fails the request (nothing is half-answered as success). */
  async sendAll(sink: InputSink, records: InputRecord[]): Promise<number> {
    this.stats.counts.receivedCount += records.length;
    const outcome = await sink.send(records);
    if (outcome.fatal !== null) throw httpErrorOf(outcome.fatal);
    if (outcome.failedCount > 0) throw new HttpIngestError(500, 'UNKNOWN_SERVER_ERROR', `${outcome.failedCount} of ${records.length} records were refused; see the server log`);
    return outcome.acknowledgedCount;
  }
}

function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function answer(exchange: HttpExchange, work: () => Promise<unknown>): Promise<void> {
  try {
    const body = await work();
    sendJson(exchange.res, 200, body);
  } catch (error) {
    const failure = httpErrorOf(error as Error);
    const headers: Record<string, string> = failure.retryAfterSeconds === null ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
    // A body we stopped reading (413) must not be parsed as the next request.
    if (!exchange.req.complete) headers.connection = 'close';
    sendError(exchange.res, failure.status, failure.error, failure.message, headers);
  }
}

async function postTopic(ingest: Ingest, exchange: HttpExchange): Promise<unknown> {
  const { req, params, query, principal } = exchange;
  const topic = params.topic!;
  const type = mediaType(req);
  const format: EmbeddedFormat | 'ndjson' | 'text' | null =
    type === 'application/vnd.kafka.json.v2+json' || type === 'application/json' ? 'json'
      : type === 'application/vnd.kafka.binary.v2+json' ? 'binary'
        : type === 'application/x-ndjson' || type === 'application/jsonl' ? 'ndjson'
          : type === 'text/plain' ? 'text' : null;
  if (format === null) throw new HttpIngestError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type '${type}' is not one of application/vnd.kafka.json.v2+json, application/vnd.kafka.binary.v2+json, application/x-ndjson, text/plain`);
  const limitBytes = await ingest.admit(principal, topic);
  const body = await readBody(req, limitBytes);
  await ingest.room();
  const nowMs = Date.now();
  if (format === 'json' || format === 'binary') return restProxy(ingest, restProxyRecords(topic, body, format, nowMs));
  if (format === 'ndjson') {
    const prepared = ndjsonBody(body, query.get('key_field'), nowMs);
    if ('records' in prepared) return { record_count: await ingest.sendAll(ingest.sink(topic, null), prepared.records) };
  }
  // text/plain, and NDJSON bodies with neither blank lines nor a key field: every line a record.
  const result = await ingest.producer.sendLines(topic, body);
  ingest.stats.counts.receivedCount += result.recordCount + result.failedCount;
  ingest.stats.counts.acknowledgedCount += result.recordCount;
  if (result.error !== null) throw httpErrorOf(result.error);
  return { record_count: result.recordCount };
}

/** REST Proxy answers per record, so these go one promise each (send), in request order. */
async function restProxy(ingest: Ingest, records: ReturnType<typeof restProxyRecords>): Promise<unknown> {
  ingest.stats.counts.receivedCount += records.length;
  const results = await Promise.allSettled(records.map((record) => ingest.producer.send(record)));
  const offsets = results.map((result) => {
    if (result.status === 'fulfilled') {
      ingest.stats.counts.acknowledgedCount++;
      const { partition, offset } = result.value as RecordMetadata;
      return { partition, offset, error_code: null, error: null };
    }
    ingest.stats.counts.failedCount++;
    const error = result.reason as Error;
    return { partition: null, offset: null, error_code: error instanceof KafkaError ? error.errorCode : -1, error: error.message };
  });
  const firstRetriable = results.find((r) => r.status === 'rejected' && (!(r.reason instanceof KafkaError) || r.reason.retriable));
  if (firstRetriable !== undefined && offsets.every((o) => o.offset === null)) throw httpErrorOf((firstRetriable as PromiseRejectedResult).reason as Error);
  return { key_schema_id: null, value_schema_id: null, offsets };
}

async function postOtlpLogs(ingest: Ingest, exchange: HttpExchange): Promise<unknown> {
  const { req, query, principal } = exchange;
  const type = mediaType(req);
  if (type !== 'application/json') throw new HttpIngestError(415, 'UNSUPPORTED_MEDIA_TYPE', `OTLP logs are taken as JSON (application/json), not '${type}'`);
  const topic = query.get('topic') ?? OTLP_TOPIC_DEFAULT;
  const routing = new Routing({ topic, keyField: query.get('key_field') ?? undefined });
  // A template is authorized on each topic it renders to, after the body is parsed.
  const limitBytes = routing.isTemplate ? MESSAGE_MAX_BYTES_DEFAULT : await ingest.admit(principal, topic);
  const body = await readBody(req, limitBytes);
  const records = otlpLogRecords(body, Date.now());
  if (routing.isTemplate) {
    for (const rendered of new Set(records.map((record) => routing.topicFor(record.fields)))) await ingest.admit(principal, rendered);
  }
  await ingest.room();
  const sink = new InputSink(ingest.producer, routing, ingest.stats, () => {});
  await ingest.sendAll(sink, records);
  return { partialSuccess: {} };
}

/** Mounts the ingest routes (and GET /inputs) on the HTTP listener's router. */
export function addIngestRoutes(router: HttpRouter, context: IngestContext): void {
  const options = { autoCreateTopics: context.autoCreateTopics, numPartitions: context.numPartitions };
  const backend = context.backend ?? BrokerBackend.around(context.broker!, options);
  const owner = context.broker ?? backend;
  const ingest = new Ingest(backend, owner, context);
  router.add('POST', '/topics/{topic}', (exchange) => answer(exchange, () => postTopic(ingest, exchange)));
  router.add('POST', '/v1/logs', (exchange) => answer(exchange, () => postOtlpLogs(ingest, exchange)));
  router.add('GET', '/inputs', ({ res }) => sendJson(res, 200, { inputs: inputStatsOf(owner).map((stats) => stats.toJSON()) }));
}
