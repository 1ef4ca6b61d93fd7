/**
 * Per-topic log configuration, named and defaulted as Kafka's topic configs (LogConfig.java).
 * Values arrive as strings (CreateTopics, AlterConfigs, the CLI); parseTopicConfigs checks each
 * against its allowed range and never half-applies: it throws before returning anything.
 */
import { InvalidConfigError } from '../common/errors.js';
import {
  INDEX_INTERVAL_BYTES_DEFAULT,
  MESSAGE_MAX_BYTES_DEFAULT,
  MESSAGE_MAX_BYTES_LIMIT,
  RETENTION_MS_DEFAULT,
  SEGMENT_BYTES_DEFAULT,
  SEGMENT_BYTES_MAX,
  SEGMENT_BYTES_MIN,
} from '../common/limits.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  /** -1 = forever. */
  retentionMs: number;
  /** -1 = unlimited. */
  retentionBytes: number;
  indexIntervalBytes: number;
  /** fsync after this many records; Infinity = leave it to the OS. */
  flushMessages: number;
  /** Infinity = never by time. */
  flushMs: number;
  cleanupPolicy: CleanupPolicy;
  maxMessageBytes: number;
  messageTimestampType: TimestampType;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: SEGMENT_BYTES_DEFAULT,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: RETENTION_MS_DEFAULT,
  retentionBytes: -1,
  indexIntervalBytes: INDEX_INTERVAL_BYTES_DEFAULT,
  flushMessages: Infinity,
  flushMs: Infinity,
  cleanupPolicy: 'delete',
  maxMessageBytes: MESSAGE_MAX_BYTES_DEFAULT,
  messageTimestampType: 'CreateTime',
  deleteRetentionMs: 24 * 3600 * 1000,
  minCleanableDirtyRatio: 0.5,
});

/** Kafka writes "unbounded" as Long.MAX_VALUE; we read it (or anything past 2^53) as Infinity. */
const KAFKA_LONG_MAX = '9223372036854775807';
const INT32_MAX = 2 ** 31 - 1;

type Field = keyof LogConfig;
interface Spec {
  field: Field;
  kind: 'long' | 'int' | 'double' | 'enum';
  min?: number;
  max?: number;
  /** The long may be unbounded (Long.MAX_VALUE -> Infinity). */
  unbounded?: boolean;
  values?: readonly string[];
}

const SPECS: Readonly<Record<string, Spec>> = {
  'segment.bytes': { field: 'segmentBytes', kind: 'int', min: SEGMENT_BYTES_MIN, max: SEGMENT_BYTES_MAX },
  'segment.ms': { field: 'segmentMs', kind: 'long', min: 1 },
  'retention.ms': { field: 'retentionMs', kind: 'long', min: -1 },
  'retention.bytes': { field: 'retentionBytes', kind: 'long', min: -1 },
  'index.interval.bytes': { field: 'indexIntervalBytes', kind: 'int', min: 0, max: INT32_MAX },
  'flush.messages': { field: 'flushMessages', kind: 'long', min: 1, unbounded: true },
  'flush.ms': { field: 'flushMs', kind: 'long', min: 0, unbounded: true },
  'cleanup.policy': { field: 'cleanupPolicy', kind: 'enum', values: ['delete', 'compact', 'compact,delete'] },
  'max.message.bytes': { field: 'maxMessageBytes', kind: 'int', min: 0, max: MESSAGE_MAX_BYTES_LIMIT },
  'message.timestamp.type': { field: 'messageTimestampType', kind: 'enum', values: ['CreateTime', 'LogAppendTime'] },
  'delete.retention.ms': { field: 'deleteRetentionMs', kind: 'long', min: 0 },
  'min.cleanable.dirty.ratio': { field: 'minCleanableDirtyRatio', kind: 'double', min: 0, max: 1 },
};

export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze(Object.keys(SPECS));

/** Parses Kafka-named topic configs. Unknown key or bad value -> InvalidConfigError naming both. */
export function parseTopicConfigs(configs: Record<string, string>): Partial<LogConfig> {
  const out: Partial<Record<Field, unknown>> = {};
  for (const [name, raw] of Object.entries(configs)) {
    const spec = SPECS[name];
    if (spec === undefined) {
      throw new InvalidConfigError(`unknown topic config '${name}' (supported: ${TOPIC_CONFIG_NAMES.join(', ')})`);
    }
    out[spec.field] = parseValue(name, spec, String(raw).trim());
  }
  return out as Partial<LogConfig>;
}

function parseValue(name: string, spec: Spec, raw: string): number | string {
  if (spec.kind === 'enum') {
    // Kafka accepts the list in either order: "delete,compact" is "compact,delete".
    const value = name === 'cleanup.policy' ? normalizePolicy(raw) : raw;
    if (!spec.values!.includes(value)) {
      throw new InvalidConfigError(`invalid value '${raw}' for '${name}': expected one of ${spec.values!.join(', ')}`);
    }
    return value;
  }
  const pattern = spec.kind === 'double' ? /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/ : /^-?\d+$/;
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? (spec.unbounded ? Infinity : Number.MAX_SAFE_INTEGER);
  const range = `[${min}, ${max === Infinity ? KAFKA_LONG_MAX : max}]`;
  if (!pattern.test(raw)) throw new InvalidConfigError(`invalid value '${raw}' for '${name}': expected a number in ${range}`);
  let value = Number(raw);
  if (spec.unbounded && value >= Number.MAX_SAFE_INTEGER) value = Infinity;
  if (!(value >= min && value <= max)) {
    throw new InvalidConfigError(`invalid value '${raw}' for '${name}': must be in ${range}`);
  }
  return value;
}

function normalizePolicy(raw: string): string {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p.length > 0).sort();
  return parts.join(',');
}

/** The effective config as Kafka-named strings, for DescribeConfigs. */
export function configEntries(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(SPECS)) {
    const value = config[spec.field];
    out[name] = value === Infinity ? KAFKA_LONG_MAX : String(value);
  }
  return out;
}

/** Defaults overlaid with a topic's explicit overrides (as stored in the metadata log). */
export function resolveLogConfig(overrides: Record<string, string>, base: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  return { ...base, ...parseTopicConfigs(overrides) };
}
