/**
 * Every topic config of Apache Kafka 3.9 (LogConfig's ConfigDef), with Kafka's type, default and
 * validator, and the broker configs that supply its default (Kafka's ServerTopicConfigSynonyms:
 * e.g. retention.ms <- log.retention.ms, log.retention.minutes, log.retention.hours, highest
 * precedence first). Which of them Brook enforces on one host is said in README.md ("Topic
 * configs"); the rest are accepted, validated, stored and reported, and change nothing.
 *
 * One Brook limit differs from Kafka's: max.message.bytes stops at MESSAGE_MAX_BYTES_LIMIT (a batch
 * must fit the partition's produce ring twice over), where Kafka allows any int.
 */
import { MESSAGE_MAX_BYTES_DEFAULT, MESSAGE_MAX_BYTES_LIMIT, RETENTION_MS_DEFAULT, SEGMENT_BYTES_DEFAULT, SEGMENT_BYTES_MIN } from '../common/limits.js';
import { atLeast, between, listOf, LONG_MAX, LONG_MAX_STRING, oneOf, type ConfigDefinition, type ParsedValue } from './config-values.js';

export interface TopicConfigDefinition extends ConfigDefinition {
  /** Broker configs that default it, highest precedence first ([] = no server default). */
  serverSynonyms: readonly string[];
}

export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;
export type CompressionType = (typeof COMPRESSION_TYPES)[number];

/** zstd's level range in the library Kafka uses (ZSTD_minCLevel() .. ZSTD_maxCLevel()). */
export const ZSTD_LEVEL_MIN = -131072;
export const ZSTD_LEVEL_MAX = 22;

/**
 * message.format.version values (MetadataVersion): ignored since inter-broker protocol 3.0, yet
 * still validated. A short form ("2.8", "0.10.2") names the release's latest version.
 */
const MESSAGE_FORMAT_RELEASES: Readonly<Record<string, number>> = {
  '0.8.0': 0, '0.8.1': 0, '0.8.2': 0, '0.9.0': 0, '0.10.0': 2, '0.10.1': 3, '0.10.2': 1, '0.11.0': 3, '1.0': 1, '1.1': 1,
  '2.0': 2, '2.1': 3, '2.2': 2, '2.3': 2, '2.4': 2, '2.5': 1, '2.6': 1, '2.7': 3, '2.8': 2, '3.0': 2, '3.1': 1, '3.2': 1,
  '3.3': 4, '3.4': 1, '3.5': 3, '3.6': 3, '3.7': 5, '3.8': 1, '3.9': 1,
};

function validMessageFormatVersion(value: ParsedValue): string | null {
  const text = value as string;
  const parts = text.split('.');
  const segments = text.startsWith('0.') ? 3 : 2;
  const key = parts.length <= segments ? text : parts.slice(0, segments).join('.');
  const [release, iv] = key.split('-IV') as [string, string | undefined];
  const ivCount = MESSAGE_FORMAT_RELEASES[release];
  // 0.8.x and 0.9.0 have no IV suffix; the others take -IV0 .. -IV<count-1>.
  const ok = ivCount !== undefined && (iv === undefined || (ivCount > 0 && /^\d+$/.test(iv) && Number(iv) < ivCount));
  return ok ? null : `Version \`${text}\` is not a valid version`;
}

/** ThrottledReplicaListValidator: "*" or [partitionId]:[brokerId] entries. */
function throttledReplicas(value: ParsedValue): string | null {
  const list = value as string[];
  if (list.length > 0 && list[0] === '*') return null;
  if (list.every((entry) => /^(\d+:\d+)?$/.test(entry))) return null;
  return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
}

function gzipLevel(value: ParsedValue): string | null {
  const level = value as bigint;
  return level === -1n || (level >= 1n && level <= 9n) ? null : 'Value must be between 1 and 9, or -1';
}

const timestampMax = { type: 'long', defaultValue: LONG_MAX_STRING, check: atLeast(0n), validValues: '[0,...]' } as const;

/** The definitions, in Kafka's documentation order (by name). */
export const TOPIC_CONFIG_DEFS: readonly TopicConfigDefinition[] = [
  { name: 'cleanup.policy', type: 'list', defaultValue: 'delete', check: listOf(['compact', 'delete']), validValues: '[compact, delete]', serverSynonyms: ['log.cleanup.policy'],
    doc: 'delete: drop whole old segments past retention; compact: keep the latest record per key; both, or neither.' },
  { name: 'compression.gzip.level', type: 'int', defaultValue: '-1', check: gzipLevel, validValues: '[1,...,9] or -1', serverSynonyms: ['compression.gzip.level'],
    doc: 'Level the broker uses when it recompresses to gzip (compression.type=gzip); -1 is zlib\'s default.' },
  { name: 'compression.lz4.level', type: 'int', defaultValue: '9', check: between(1n, 17n), validValues: '[1,...,17]', serverSynonyms: ['compression.lz4.level'],
    doc: 'Level for lz4 recompression (Brook\'s lz4 codec has a single level: accepted, no effect).' },
  { name: 'compression.type', type: 'string', defaultValue: 'producer', check: oneOf(COMPRESSION_TYPES), validValues: `[${COMPRESSION_TYPES.join(', ')}]`, serverSynonyms: ['compression.type'],
    doc: 'Codec of the stored batches: producer keeps what the producer sent; any other value makes the broker recompress.' },
  { name: 'compression.zstd.level', type: 'int', defaultValue: '3', check: between(BigInt(ZSTD_LEVEL_MIN), BigInt(ZSTD_LEVEL_MAX)), validValues: `[${ZSTD_LEVEL_MIN},...,${ZSTD_LEVEL_MAX}]`, serverSynonyms: ['compression.zstd.level'],
    doc: 'Level the broker uses when it recompresses to zstd.' },
  { name: 'delete.retention.ms', type: 'long', defaultValue: '86400000', check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.cleaner.delete.retention.ms'],
    doc: 'How long tombstones survive compaction after their segment was first cleaned.' },
  { name: 'file.delete.delay.ms', type: 'long', defaultValue: '60000', check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.segment.delete.delay.ms'],
    doc: 'How long a deleted segment stays on disk as .deleted before its files are removed.' },
  { name: 'flush.messages', type: 'long', defaultValue: LONG_MAX_STRING, check: atLeast(1n), validValues: '[1,...]', serverSynonyms: ['log.flush.interval.messages'],
    doc: 'fsync after this many records.' },
  { name: 'flush.ms', type: 'long', defaultValue: LONG_MAX_STRING, check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    doc: 'fsync when unflushed records are this old.' },
  { name: 'follower.replication.throttled.replicas', type: 'list', defaultValue: '', check: throttledReplicas, validValues: '[partitionId]:[brokerId],[partitionId]:[brokerId],...', serverSynonyms: [],
    doc: 'Replicas throttled on the follower side (no followers on one host: accepted, no effect).' },
  { name: 'index.interval.bytes', type: 'int', defaultValue: '4096', check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.index.interval.bytes'],
    doc: 'Bytes of log between two offset index entries.' },
  { name: 'leader.replication.throttled.replicas', type: 'list', defaultValue: '', check: throttledReplicas, validValues: '[partitionId]:[brokerId],[partitionId]:[brokerId],...', serverSynonyms: [],
    doc: 'Replicas throttled on the leader side (no followers on one host: accepted, no effect).' },
  { name: 'local.retention.bytes', type: 'long', defaultValue: '-2', check: atLeast(-2n), validValues: '[-2,...]', serverSynonyms: ['log.local.retention.bytes'],
    doc: 'Local retention with tiered storage (no tiered storage here: accepted, no effect).' },
  { name: 'local.retention.ms', type: 'long', defaultValue: '-2', check: atLeast(-2n), validValues: '[-2,...]', serverSynonyms: ['log.local.retention.ms'],
    doc: 'Local retention with tiered storage (no tiered storage here: accepted, no effect).' },
  { name: 'max.compaction.lag.ms', type: 'long', defaultValue: LONG_MAX_STRING, check: atLeast(1n), validValues: '[1,...]', serverSynonyms: ['log.cleaner.max.compaction.lag.ms'],
    doc: 'Longest a record may stay uncompacted: past it the log is cleaned whatever its dirty ratio.' },
  { name: 'max.message.bytes', type: 'int', defaultValue: String(MESSAGE_MAX_BYTES_DEFAULT), check: between(0n, BigInt(MESSAGE_MAX_BYTES_LIMIT)), validValues: `[0,...,${MESSAGE_MAX_BYTES_LIMIT}]`, serverSynonyms: ['message.max.bytes'],
    doc: 'Largest record batch the topic accepts (after recompression).' },
  { name: 'message.downconversion.enable', type: 'boolean', defaultValue: 'true', serverSynonyms: ['log.message.downconversion.enable'],
    doc: 'Down-conversion of records for Fetch v0-v3 consumers; false answers them UNSUPPORTED_VERSION.' },
  { name: 'message.format.version', type: 'string', defaultValue: '3.0-IV1', check: validMessageFormatVersion, validValues: '[0.8.0, ..., 3.9-IV0]', serverSynonyms: ['log.message.format.version'],
    doc: 'Deprecated; ignored since Kafka 3.0 (accepted, no effect).' },
  { name: 'message.timestamp.after.max.ms', ...timestampMax, serverSynonyms: ['log.message.timestamp.after.max.ms'],
    doc: 'CreateTime topics refuse a record whose timestamp is more than this ahead of the broker clock (INVALID_TIMESTAMP).' },
  { name: 'message.timestamp.before.max.ms', ...timestampMax, serverSynonyms: ['log.message.timestamp.before.max.ms'],
    doc: 'CreateTime topics refuse a record whose timestamp is more than this behind the broker clock (INVALID_TIMESTAMP).' },
  { name: 'message.timestamp.difference.max.ms', ...timestampMax, serverSynonyms: ['log.message.timestamp.difference.max.ms'],
    doc: 'Deprecated: both limits above at once, used for each of them left at its default.' },
  { name: 'message.timestamp.type', type: 'string', defaultValue: 'CreateTime', check: oneOf(['CreateTime', 'LogAppendTime']), validValues: '[CreateTime, LogAppendTime]', serverSynonyms: ['log.message.timestamp.type'],
    doc: 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps batches with the broker clock.' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', defaultValue: '0.5', check: between(0, 1), validValues: '[0,...,1]', serverSynonyms: ['log.cleaner.min.cleanable.ratio'],
    doc: 'Compaction starts when this share of the cleanable log is dirty.' },
  { name: 'min.compaction.lag.ms', type: 'long', defaultValue: '0', check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.cleaner.min.compaction.lag.ms'],
    doc: 'Segments whose newest record is younger than this are not compacted yet.' },
  { name: 'min.insync.replicas', type: 'int', defaultValue: '1', check: atLeast(1n), validValues: '[1,...]', serverSynonyms: ['min.insync.replicas'],
    doc: 'Replicas an acks=all produce needs; one host has one, so above 1 acks=all gets NOT_ENOUGH_REPLICAS.' },
  { name: 'preallocate', type: 'boolean', defaultValue: 'false', serverSynonyms: ['log.preallocate'],
    doc: 'Preallocate each segment file to segment.bytes (accepted, no effect: Brook\'s segment files grow as written).' },
  { name: 'remote.log.copy.disable', type: 'boolean', defaultValue: 'false', serverSynonyms: [],
    doc: 'Tiered storage copy switch (no tiered storage here: accepted, no effect).' },
  { name: 'remote.log.delete.on.disable', type: 'boolean', defaultValue: 'false', serverSynonyms: [],
    doc: 'Tiered storage deletion switch (no tiered storage here: accepted, no effect).' },
  { name: 'remote.storage.enable', type: 'boolean', defaultValue: 'false', serverSynonyms: [],
    doc: 'Tiered storage; refused when true, as Kafka refuses it with tiered storage off on the broker.' },
  { name: 'retention.bytes', type: 'long', defaultValue: '-1', serverSynonyms: ['log.retention.bytes'],
    doc: 'Delete old segments while the partition is larger than this (-1: no limit).' },
  { name: 'retention.ms', type: 'long', defaultValue: String(RETENTION_MS_DEFAULT), check: atLeast(-1n), validValues: '[-1,...]', serverSynonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
    doc: 'Delete segments whose newest record is older than this (-1: forever).' },
  { name: 'segment.bytes', type: 'int', defaultValue: String(SEGMENT_BYTES_DEFAULT), check: atLeast(BigInt(SEGMENT_BYTES_MIN)), validValues: `[${SEGMENT_BYTES_MIN},...]`, serverSynonyms: ['log.segment.bytes'],
    doc: 'Roll to a new segment file at this size.' },
  { name: 'segment.index.bytes', type: 'int', defaultValue: '10485760', check: atLeast(4n), validValues: '[4,...]', serverSynonyms: ['log.index.size.max.bytes'],
    doc: 'Largest offset/time index of a segment: the segment rolls before its index would outgrow it.' },
  { name: 'segment.jitter.ms', type: 'long', defaultValue: '0', check: atLeast(0n), validValues: '[0,...]', serverSynonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    doc: 'Random amount (per segment, below it) subtracted from segment.ms so partitions do not all roll at once.' },
  { name: 'segment.ms', type: 'long', defaultValue: String(7 * 24 * 3600 * 1000), check: atLeast(1n), validValues: '[1,...]', serverSynonyms: ['log.roll.ms', 'log.roll.hours'],
    doc: 'Roll to a new segment after this long even if it is not full.' },
  { name: 'unclean.leader.election.enable', type: 'boolean', defaultValue: 'false', serverSynonyms: ['unclean.leader.election.enable'],
    doc: 'Leader election from out-of-sync replicas (one replica: accepted, no effect).' },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDefinition> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze(TOPIC_CONFIG_DEFS.map((d) => d.name));

/** Long.MAX_VALUE as a bigint, for "unbounded" checks elsewhere. */
export const UNBOUNDED = LONG_MAX;
