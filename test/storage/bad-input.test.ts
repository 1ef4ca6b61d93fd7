import { describe, expect, it } from 'vitest';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { InvalidConfigError, InvalidTopicError, DataDirLockedError, KafkaCodeError } from '../../src/common/errors.js';
import { validateTopicName, partitionDirName } from '../../src/storage/topic-names.js';
import { DEFAULT_LOG_CONFIG, parseTopicConfigs, resolveLogConfig, topicConfigValues, TOPIC_CONFIG_NAMES } from '../../src/storage/log-config.js';
import { lockDataDir } from '../../src/storage/data-dir.js';
import { MetadataLog } from '../../src/storage/metadata-log.js';
import { tempDir } from './helpers.js';

describe('topic names', () => {
  it("accepts Kafka's legal names and rejects the rest with InvalidTopicError", () => {
    for (const ok of ['a', 'orders.v1', 'A_b-9', 'x'.repeat(249)]) expect(() => validateTopicName(ok)).not.toThrow();
    for (const bad of ['', '.', '..', 'x'.repeat(250), 'has space', 'slash/no', 'ümlaut']) {
      expect(() => validateTopicName(bad)).toThrow(InvalidTopicError);
    }
    expect(partitionDirName('orders', 3)).toBe('orders-3');
  });
});

describe('topic configs', () => {
  it('parses Kafka-named values into canonical strings and the typed config', () => {
    const parsed = parseTopicConfigs({ 'segment.bytes': ' 1048576', 'retention.ms': '-1', 'flush.messages': '9223372036854775807', 'cleanup.policy': 'delete, compact' });
    expect(parsed).toEqual({ 'segment.bytes': '1048576', 'retention.ms': '-1', 'flush.messages': '9223372036854775807', 'cleanup.policy': 'delete,compact' });
    const config = resolveLogConfig(parsed);
    expect(config).toMatchObject({ segmentBytes: 1048576, retentionMs: -1, flushMessages: Infinity, cleanupPolicy: 'compact,delete' });
    const values = topicConfigValues({});
    expect(Object.keys(values).sort()).toEqual([...TOPIC_CONFIG_NAMES].sort());
    expect(values['segment.bytes']).toBe('1073741824');
    expect(resolveLogConfig(values)).toEqual(DEFAULT_LOG_CONFIG);
  });

  it('rejects unknown keys and out-of-range values naming the key and the limit', () => {
    expect(() => parseTopicConfigs({ 'segment.bytez': '1' })).toThrow(/segment.bytez/);
    expect(() => parseTopicConfigs({ 'segment.bytes': '10' })).toThrow(/segment.bytes: Value must be at least 14/);
    expect(() => parseTopicConfigs({ 'retention.ms': 'soon' })).toThrow(InvalidConfigError);
    expect(() => parseTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' })).toThrow(/no more than 1/);
    expect(() => parseTopicConfigs({ 'message.timestamp.type': 'Now' })).toThrow(/CreateTime, LogAppendTime/);
  });
});

describe('data dir lock', () => {
  it('a second process cannot take a held lock and is told the holder pid; a stale lock is taken over', () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    const url = new URL('../../src/storage/data-dir.ts', import.meta.url).pathname;
    const script = `import('${url}').then(m => { try { m.lockDataDir(${JSON.stringify(dir)}); console.log('TOOK'); } catch (e) { console.log(e.code + ' ' + e.message); } })`;
    const child = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', '-e', script], { encoding: 'utf8' });
    const out = child.stdout + child.stderr;
    if (/strip-types|ERR_UNKNOWN_FILE_EXTENSION|bad option/.test(out)) {
      // Node 20 cannot run .ts: check the same thing from this process, which must name our pid.
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    } else {
      expect(out).toContain(`DATA_DIR_LOCKED`);
      expect(out).toContain(String(process.pid));
    }
    release();
    // A lock left by a dead process is stale.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    fs.writeFileSync(`${dir}/.lock`, dead.stdout.trim());
    const again = lockDataDir(dir);
    again();
  });

  it('names the live holder pid of another process', async () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(dir + '/.lock')}, String(process.pid)); console.log('ready'); setTimeout(() => {}, 20000)`]);
    await new Promise((r) => holder.stdout.once('data', r)); // the lock file is written
    try {
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`process ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('metadata log', () => {
  it('replays topics, partition counts and configs at reopen and rejects bad changes', () => {
    const dir = tempDir();
    const meta = MetadataLog.open(dir);
    meta.createTopic({ name: 'orders', topicId: '00000000-0000-0000-0000-000000000001', partitionCount: 3, configs: { 'retention.ms': '1000' } });
    meta.createTopic({ name: 'gone', topicId: '00000000-0000-0000-0000-000000000002', partitionCount: 1, configs: {} });
    meta.setPartitionCount('orders', 5);
    meta.setConfigs('orders', { 'segment.bytes': '100000' });
    meta.deleteTopic('gone');
    expect(() => meta.createTopic({ name: 'orders', topicId: 'x', partitionCount: 1, configs: {} })).toThrow(KafkaCodeError);
    expect(() => meta.setPartitionCount('orders', 2)).toThrow(KafkaCodeError);
    expect(() => meta.setConfigs('orders', { 'segment.bytes': '1' })).toThrow(InvalidConfigError);
    expect(() => meta.createTopic({ name: 'bad name', topicId: 'x', partitionCount: 1, configs: {} })).toThrow(InvalidTopicError);
    meta.close();
    const again = MetadataLog.open(dir);
    expect([...again.topics().values()]).toEqual([
      { name: 'orders', topicId: '00000000-0000-0000-0000-000000000001', partitionCount: 5, configs: { 'segment.bytes': '100000' } },
    ]);
    again.close();
  });
});
