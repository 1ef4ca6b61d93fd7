import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataLog, METADATA_DIR_NAME } from '../../src/storage/metadata-log.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { tempDir } from '../helpers/temp-dir.js';

const topic = (name: string, partitionCount = 3) => ({ name, topicId: `id-${name}`, partitionCount, configs: {} });

/** Records in the metadata log's partition, read from its files. */
function recordCount(dataDir: string): number {
  const log = PartitionLog.open(path.join(dataDir, METADATA_DIR_NAME), DEFAULT_LOG_CONFIG);
  try {
    return log.logEndOffset;
  } finally {
    log.close();
  }
}

describe('MetadataLog.createTopics', () => {
  it('creates many topics with one record and replays them at the next open', () => {
    const dataDir = tempDir('brook-metadata-');
    const metadata = MetadataLog.open(dataDir);
    metadata.createTopics(Array.from({ length: 100 }, (_, i) => topic(`t${i}`)));
    metadata.close();
    expect(recordCount(dataDir)).toBe(1);
    const reopened = MetadataLog.open(dataDir);
    expect([...reopened.topics().keys()]).toHaveLength(100);
    expect(reopened.topics().get('t42')).toEqual(topic('t42'));
    reopened.close();
  });

  it('creates none of them when one is refused, and writes nothing', () => {
    const dataDir = tempDir('brook-metadata-');
    const metadata = MetadataLog.open(dataDir);
    metadata.createTopic(topic('taken'));
    expect(() => metadata.createTopics([topic('fresh'), topic('taken')])).toThrow(expect.objectContaining({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS }));
    expect(() => metadata.createTopics([topic('a'), topic('a')])).toThrow(expect.objectContaining({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS }));
    expect(() => metadata.createTopics([topic('b', 0)])).toThrow(expect.objectContaining({ errorCode: ErrorCode.INVALID_PARTITIONS }));
    expect([...metadata.topics().keys()]).toEqual(['taken']);
    metadata.close();
    expect(recordCount(dataDir)).toBe(1);
  });
});

describe('MetadataLog.deleteTopics', () => {
  it('deletes many topics with one record, replayed at the next open, and none when one does not exist', () => {
    const dataDir = tempDir('brook-metadata-');
    const metadata = MetadataLog.open(dataDir);
    metadata.createTopics(Array.from({ length: 10 }, (_, i) => topic(`t${i}`)));
    expect(() => metadata.deleteTopics(['t1', 'missing'])).toThrow(expect.objectContaining({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }));
    expect(metadata.topics().size).toBe(10);
    metadata.deleteTopics(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8']);
    metadata.close();
    expect(recordCount(dataDir)).toBe(2);
    const reopened = MetadataLog.open(dataDir);
    expect([...reopened.topics().keys()].sort()).toEqual(['t0', 't9']);
    reopened.close();
  });
});
