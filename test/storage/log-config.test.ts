/**
 * Every Kafka 3.9 topic config: its type, range and default as Kafka defines them (LogConfig), the
 * canonical strings DescribeConfigs reports, and the typed LogConfig the storage code reads.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/common/errors.js';
import { DEFAULT_LOG_CONFIG, parseTopicConfigs, resolveLogConfig, topicConfigValues, TOPIC_CONFIG_NAMES } from '../../src/storage/log-config.js';
import { TOPIC_CONFIG_DEFS } from '../../src/storage/topic-config-defs.js';

const LONG_MAX = '9223372036854775807';

/**
 * Per config: Kafka's default, values just inside its range and values just outside (or of the
 * wrong type). Written from Kafka 3.9's LogConfig definitions.
 */
const KAFKA: Record<string, { default: string; good: string[]; bad: string[] }> = {
  'cleanup.policy': { default: 'delete', good: ['compact', 'compact,delete', ''], bad: ['remove', 'compact,trim'] },
  'compression.gzip.level': { default: '-1', good: ['1', '9', '-1'], bad: ['0', '10', '-2'] },
  'compression.lz4.level': { default: '9', good: ['1', '17'], bad: ['0', '18'] },
  'compression.type': { default: 'producer', good: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], bad: ['none', 'ZSTD', 'brotli'] },
  'compression.zstd.level': { default: '3', good: ['-131072', '22'], bad: ['-131073', '23'] },
  'delete.retention.ms': { default: '86400000', good: ['0', LONG_MAX], bad: ['-1', '9223372036854775808'] },
  'file.delete.delay.ms': { default: '60000', good: ['0'], bad: ['-1'] },
  'flush.messages': { default: LONG_MAX, good: ['1'], bad: ['0'] },
  'flush.ms': { default: LONG_MAX, good: ['0'], bad: ['-1'] },
  'follower.replication.throttled.replicas': { default: '', good: ['*', '0:0,1:0'], bad: ['0', 'a:b'] },
  'index.interval.bytes': { default: '4096', good: ['0', '2147483647'], bad: ['-1', '2147483648'] },
  'leader.replication.throttled.replicas': { default: '', good: ['*', '3:0'], bad: ['x'] },
  'local.retention.bytes': { default: '-2', good: ['-2', '0'], bad: ['-3'] },
  'local.retention.ms': { default: '-2', good: ['-2', '1000'], bad: ['-3'] },
  'max.compaction.lag.ms': { default: LONG_MAX, good: ['1'], bad: ['0'] },
  'max.message.bytes': { default: '1048588', good: ['0', '67108864'], bad: ['-1', '67108865'] },
  'message.downconversion.enable': { default: 'true', good: ['false', 'TRUE'], bad: ['yes', '1'] },
  'message.format.version': { default: '3.0-IV1', good: ['0.8.2', '0.10.0-IV1', '2.8', '3.9-IV0'], bad: ['4.7', '3.8-IV5', '0.8.2-IV0', 'latest'] },
  'message.timestamp.after.max.ms': { default: LONG_MAX, good: ['0'], bad: ['-1'] },
  'message.timestamp.before.max.ms': { default: LONG_MAX, good: ['0'], bad: ['-1'] },
  'message.timestamp.difference.max.ms': { default: LONG_MAX, good: ['0'], bad: ['-1'] },
  'message.timestamp.type': { default: 'CreateTime', good: ['LogAppendTime'], bad: ['createtime', 'Now'] },
  'min.cleanable.dirty.ratio': { default: '0.5', good: ['0', '1', '0.01'], bad: ['-0.1', '1.5', 'half'] },
  'min.compaction.lag.ms': { default: '0', good: ['0', '1000'], bad: ['-1'] },
  'min.insync.replicas': { default: '1', good: ['1', '3'], bad: ['0'] },
  preallocate: { default: 'false', good: ['true'], bad: ['maybe'] },
  'remote.log.copy.disable': { default: 'false', good: ['true'], bad: ['on'] },
  'remote.log.delete.on.disable': { default: 'false', good: ['true'], bad: ['off'] },
  'remote.storage.enable': { default: 'false', good: ['false'], bad: ['true', 'no'] },
  'retention.bytes': { default: '-1', good: ['-5', '0', LONG_MAX], bad: ['1.5', 'lots'] },
  'retention.ms': { default: '604800000', good: ['-1', '0'], bad: ['-2'] },
  'segment.bytes': { default: '1073741824', good: ['14', '2147483647'], bad: ['13', '2147483648'] },
  'segment.index.bytes': { default: '10485760', good: ['4'], bad: ['3'] },
  'segment.jitter.ms': { default: '0', good: ['0', '1000'], bad: ['-1'] },
  'segment.ms': { default: '604800000', good: ['1'], bad: ['0'] },
  'unclean.leader.election.enable': { default: 'false', good: ['true'], bad: ['2'] },
};

describe('topic configs', () => {
  it('knows exactly the 36 topic configs of Kafka 3.9', () => {
    expect([...TOPIC_CONFIG_NAMES].sort()).toEqual(Object.keys(KAFKA).sort());
  });

  it.each(Object.entries(KAFKA))('%s: Kafka\'s default, range and type', (name, kafka) => {
    expect(topicConfigValues({})[name]).toBe(kafka.default);
    for (const value of kafka.good) expect(() => parseTopicConfigs({ [name]: value }), `${name}=${value}`).not.toThrow();
    for (const value of kafka.bad) {
      let thrown: unknown;
      try {
        parseTopicConfigs({ [name]: value });
      } catch (err) {
        thrown = err;
      }
      expect(thrown, `${name}=${value} must be refused`).toBeInstanceOf(InvalidConfigError);
      expect((thrown as Error).message).toContain(name);
    }
  });

  it('reports values as Kafka renders them: trimmed, lists joined, doubles in Java notation, booleans in lower case', () => {
    const values = topicConfigValues({ 'cleanup.policy': ' delete , compact ', 'min.cleanable.dirty.ratio': '1', preallocate: 'TRUE', 'retention.ms': '+5' });
    expect(values).toMatchObject({ 'cleanup.policy': 'delete,compact', 'min.cleanable.dirty.ratio': '1.0', preallocate: 'true', 'retention.ms': '5' });
    expect(topicConfigValues({ 'min.cleanable.dirty.ratio': '0.00001' })['min.cleanable.dirty.ratio']).toBe('1.0E-5');
  });

  it('refuses min.compaction.lag.ms above max.compaction.lag.ms, counting the broker defaults', () => {
    expect(() => parseTopicConfigs({ 'min.compaction.lag.ms': '5000', 'max.compaction.lag.ms': '1000' })).toThrow(/min.compaction.lag.ms \(5000\) > max.compaction.lag.ms \(1000\)/);
    expect(() => parseTopicConfigs({ 'min.compaction.lag.ms': '5000' }, { 'max.compaction.lag.ms': '1000' })).toThrow(InvalidConfigError);
    expect(() => parseTopicConfigs({ 'min.compaction.lag.ms': '1000', 'max.compaction.lag.ms': '1000' })).not.toThrow();
  });

  it('refuses remote.storage.enable=true as Kafka does with tiered storage off', () => {
    expect(() => parseTopicConfigs({ 'remote.storage.enable': 'true' })).toThrow(/Tiered Storage functionality is disabled/);
  });

  it('types what the storage code reads, message.timestamp.difference.max.ms filling limits left at their default', () => {
    expect(DEFAULT_LOG_CONFIG).toMatchObject({ compressionType: 'producer', minInsyncReplicas: 1, fileDeleteDelayMs: 60_000, segmentIndexBytes: 10_485_760,
      maxCompactionLagMs: Infinity, messageTimestampBeforeMaxMs: Infinity, messageTimestampAfterMaxMs: Infinity });
    expect(resolveLogConfig({ 'message.timestamp.difference.max.ms': '1000' })).toMatchObject({ messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 1000 });
    expect(resolveLogConfig({ 'message.timestamp.difference.max.ms': '1000', 'message.timestamp.after.max.ms': '50' }))
      .toMatchObject({ messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 50 });
    expect(resolveLogConfig({ 'cleanup.policy': '' }).cleanupPolicy).toBe('');
    expect(resolveLogConfig({ 'compression.type': 'zstd', 'compression.zstd.level': '-5' })).toMatchObject({ compressionType: 'zstd', compressionZstdLevel: -5 });
  });

  it('every definition has a one-line documentation', () => {
    for (const def of TOPIC_CONFIG_DEFS) expect(def.doc.length, def.name).toBeGreaterThan(10);
  });
});
