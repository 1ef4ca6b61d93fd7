/**
 * StreamsConfig: Kafka Streams' settings under their Kafka names in lower camel case
 * (application.id -> applicationId), with Kafka's defaults unless noted. Validated once, at
 * KafkaStreams construction: a bad value is a StreamsConfigError naming the setting.
 */
import os from 'node:os';
import path from 'node:path';
import { StreamsConfigError } from './errors.js';

export type DeserializationExceptionHandler = 'logAndFail' | 'logAndContinue' | { deadLetterTopic: string };

export interface StreamsConfig {
  /** application.id: the consumer group, and the prefix of every internal topic. Required. */
  applicationId: string;
  /** state.dir: where tasks keep their stores. Default <tmpdir>/brook-streams. */
  stateDir?: string;
  /** num.stream.threads: worker threads tasks are sharded over. Default 1. */
  numStreamThreads?: number;
  /** commit.interval.ms. Default 30000. */
  commitIntervalMs?: number;
  /** processing.guarantee: only at_least_once (Brook has no transactions). */
  processingGuarantee?: 'at_least_once';
  /** deserialization.exception.handler: fail (default), skip with a log line, or a dead-letter topic. */
  deserializationExceptionHandler?: DeserializationExceptionHandler;
  /** max.poll.records: records a task processes before the thread looks at other work. Default 1000. */
  maxPollRecords?: number;
  /** poll.ms: how long a fetch waits for records. Default 100. */
  pollMs?: number;
  /**
   * Dirty or cached entries a store holds in memory before it asks for an early commit (Brook's
   * bound in place of statestore.cache.max.bytes, counted in entries). Default 100000.
   */
  bufferedEntriesMax?: number;
  /** Group settings (Kafka's consumer configs). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** max.poll.interval.ms: how long a rebalance waits for members. Default 300000. */
  rebalanceTimeoutMs?: number;
  /** Serve the stores to `brook streams query` on a unix socket in the state dir. Default true. */
  queryServer?: boolean;
}

export type ResolvedConfig = Required<Omit<StreamsConfig, 'processingGuarantee'>> & { processingGuarantee: 'at_least_once' };

const APPLICATION_ID = /^[a-zA-Z0-9._-]{1,200}$/;

/** Kafka's default state.dir is /tmp/kafka-streams; Brook's sits in the OS's temp dir too. */
export function defaultStateDir(): string {
  return path.join(os.tmpdir(), 'brook-streams');
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new StreamsConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function resolveConfig(config: StreamsConfig): ResolvedConfig {
  if (typeof config?.applicationId !== 'string' || !APPLICATION_ID.test(config.applicationId)) {
    throw new StreamsConfigError(`applicationId must be 1-200 characters of [a-zA-Z0-9._-] (it prefixes topic names), got ${JSON.stringify(config?.applicationId)}`);
  }
  if (config.processingGuarantee !== undefined && config.processingGuarantee !== 'at_least_once') {
    throw new StreamsConfigError(`processingGuarantee '${String(config.processingGuarantee)}' is not available: Brook has no transactions, so only at_least_once`);
  }
  const handler = config.deserializationExceptionHandler ?? 'logAndFail';
  if (handler !== 'logAndFail' && handler !== 'logAndContinue' && !(typeof handler === 'object' && typeof handler.deadLetterTopic === 'string' && handler.deadLetterTopic !== '')) {
    throw new StreamsConfigError(`deserializationExceptionHandler must be 'logAndFail', 'logAndContinue' or { deadLetterTopic }, got ${JSON.stringify(handler)}`);
  }
  const sessionTimeoutMs = positiveInteger(config.sessionTimeoutMs, 'sessionTimeoutMs', 45_000);
  return {
    applicationId: config.applicationId,
    stateDir: path.resolve(config.stateDir ?? defaultStateDir()),
    numStreamThreads: positiveInteger(config.numStreamThreads, 'numStreamThreads', 1),
    commitIntervalMs: positiveInteger(config.commitIntervalMs, 'commitIntervalMs', 30_000),
    processingGuarantee: 'at_least_once',
    deserializationExceptionHandler: handler,
    maxPollRecords: positiveInteger(config.maxPollRecords, 'maxPollRecords', 1000),
    pollMs: positiveInteger(config.pollMs, 'pollMs', 100),
    bufferedEntriesMax: positiveInteger(config.bufferedEntriesMax, 'bufferedEntriesMax', 100_000),
    sessionTimeoutMs,
    heartbeatIntervalMs: positiveInteger(config.heartbeatIntervalMs, 'heartbeatIntervalMs', Math.min(3000, Math.floor(sessionTimeoutMs / 3))),
    rebalanceTimeoutMs: positiveInteger(config.rebalanceTimeoutMs, 'rebalanceTimeoutMs', 300_000),
    queryServer: config.queryServer ?? true,
  };
}

/** Kafka's internal topic names. */
export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

export function repartitionTopic(applicationId: string, name: string): string {
  return `${applicationId}-${name}`;
}
