/**
 * Per-topic log configuration, named and defaulted as Kafka's topic configs (LogConfig.java); the
 * definitions are in topic-config-defs.ts. Configs travel as strings (CreateTopics, AlterConfigs,
 * the CLI, the metadata log): `parseTopicConfigs` validates a set of overrides and never
 * half-applies (it throws before returning anything); `topicConfigValues` merges overrides over
 * the broker's topic defaults and Kafka's defaults into the full set of canonical strings that
 * DescribeConfigs reports; `logConfigFrom` turns that set into the typed LogConfig the storage code
 * reads (only the configs Brook enforces have a field).
 */
import { InvalidConfigError } from '../common/errors.js';
import { longToNumber, parseConfigValue, type ParsedValue } from './config-values.js';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIG_DEFS, type CompressionType } from './topic-config-defs.js';

export { TOPIC_CONFIG_NAMES } from './topic-config-defs.js';
export type { CompressionType } from './topic-config-defs.js';

/** cleanup.policy as a set; '' (neither) keeps everything forever, as in Kafka. */
export type CleanupPolicy = '' | 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  /** segment.index.bytes: the most bytes a segment's offset (or time) index may take. */
  segmentIndexBytes: number;
  /** -1 = forever. */
  retentionMs: number;
  /** -1 = unlimited. */
  retentionBytes: number;
  indexIntervalBytes: number;
  /** fsync after this many records; Infinity = leave it to the OS. */
  flushMessages: number;
  /** Infinity = never by time. */
  flushMs: number;
  fileDeleteDelayMs: number;
  cleanupPolicy: CleanupPolicy;
  maxMessageBytes: number;
  messageTimestampType: TimestampType;
  /** Effective limits (message.timestamp.difference.max.ms folded in); Infinity = none. */
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  /** Infinity = no limit. */
  maxCompactionLagMs: number;
  minInsyncReplicas: number;
  compressionType: CompressionType;
  compressionGzipLevel: number;
  compressionZstdLevel: number;
}

/**
 * Validates Kafka-named topic config overrides (unknown name or bad value: InvalidConfigError
 * naming both) and returns them as canonical strings. `defaults` (the broker's topic defaults) take
 * part in the checks that span configs: min.compaction.lag.ms <= max.compaction.lag.ms.
 */
export function parseTopicConfigs(configs: Record<string, string>, defaults: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(configs)) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (def === undefined) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
    out[name] = parseConfigValue(def, raw).text;
  }
  const merged = { ...defaultValues(), ...defaults, ...out };
  if (BigInt(merged['min.compaction.lag.ms']!) > BigInt(merged['max.compaction.lag.ms']!)) {
    throw new InvalidConfigError(`conflict topic config setting min.compaction.lag.ms (${merged['min.compaction.lag.ms']}) > max.compaction.lag.ms (${merged['max.compaction.lag.ms']})`);
  }
  if (out['remote.storage.enable'] === 'true') {
    throw new InvalidConfigError('Invalid value true for configuration remote.storage.enable: Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
  }
  return out;
}

let defaultsCache: Record<string, string> | null = null;

/** Kafka's default for every topic config, as canonical strings. */
export function defaultValues(): Record<string, string> {
  defaultsCache ??= Object.fromEntries(TOPIC_CONFIG_DEFS.map((d) => [d.name, d.defaultValue ?? '']));
  return { ...defaultsCache };
}

/**
 * Every topic config's effective value, canonical strings: `overrides` over the broker's
 * `topicDefaults` over Kafka's defaults. Throws InvalidConfigError on a bad override.
 */
export function topicConfigValues(overrides: Record<string, string>, topicDefaults: Record<string, string> = {}): Record<string, string> {
  const values = defaultValues();
  for (const source of [topicDefaults, overrides]) {
    for (const [name, raw] of Object.entries(source)) {
      const def = TOPIC_CONFIG_BY_NAME.get(name);
      if (def === undefined) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
      values[name] = parseConfigValue(def, raw).text;
    }
  }
  return values;
}

/** The typed config from a full set of canonical values (topicConfigValues). */
export function logConfigFrom(values: Record<string, string>): LogConfig {
  const get = (name: string): ParsedValue => parseConfigValue(TOPIC_CONFIG_BY_NAME.get(name)!, values[name] ?? '').value;
  const long = (name: string): number => longToNumber(get(name) as bigint);
  const int = (name: string): number => Number(get(name) as bigint);
  const policy = [...new Set(get('cleanup.policy') as string[])].sort().join(',') as CleanupPolicy;
  // Kafka 3.x: a before/after limit left at its default (Long.MAX_VALUE) takes the deprecated
  // message.timestamp.difference.max.ms instead.
  const difference = long('message.timestamp.difference.max.ms');
  const before = long('message.timestamp.before.max.ms');
  const after = long('message.timestamp.after.max.ms');
  return {
    segmentBytes: int('segment.bytes'),
    segmentMs: long('segment.ms'),
    segmentJitterMs: long('segment.jitter.ms'),
    segmentIndexBytes: int('segment.index.bytes'),
    retentionMs: Math.max(long('retention.ms'), -1),
    retentionBytes: Math.max(long('retention.bytes'), -1),
    indexIntervalBytes: int('index.interval.bytes'),
    flushMessages: long('flush.messages'),
    flushMs: long('flush.ms'),
    fileDeleteDelayMs: long('file.delete.delay.ms'),
    cleanupPolicy: policy,
    maxMessageBytes: int('max.message.bytes'),
    messageTimestampType: get('message.timestamp.type') as TimestampType,
    messageTimestampBeforeMaxMs: before === Infinity ? difference : before,
    messageTimestampAfterMaxMs: after === Infinity ? difference : after,
    deleteRetentionMs: long('delete.retention.ms'),
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio') as number,
    minCompactionLagMs: long('min.compaction.lag.ms'),
    maxCompactionLagMs: long('max.compaction.lag.ms'),
    minInsyncReplicas: int('min.insync.replicas'),
    compressionType: get('compression.type') as CompressionType,
    compressionGzipLevel: int('compression.gzip.level'),
    compressionZstdLevel: int('compression.zstd.level'),
  };
}

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze(logConfigFrom(defaultValues()));

/** Kafka's defaults, overlaid with the broker's topic defaults, overlaid with a topic's overrides. */
export function resolveLogConfig(overrides: Record<string, string>, topicDefaults: Record<string, string> = {}): LogConfig {
  return logConfigFrom(topicConfigValues(overrides, topicDefaults));
}

/** Names of the configs whose value is a list (APPEND/SUBTRACT in IncrementalAlterConfigs). */
export function isListConfig(name: string): boolean {
  return TOPIC_CONFIG_BY_NAME.get(name)?.type === 'list';
}
