/**
 * The single-node stand-in for KRaft's metadata log: <dataDir>/__metadata/ is a PartitionLog whose
 * records are JSON metadata events (one record per event), fsynced on every append and replayed
 * at open. Owned by the main thread; not thread-safe.
 *
 * A full disk must not lock the user out of the commands that free space (`topics delete`,
 * `topics alter` retention): opening and appending release the data dir's space reserve and try
 * again on ENOSPC (data-dir.ts), and closing on a full disk leaves the log without its
 * clean-shutdown marker rather than failing (the next open rescans the small log).
 */
import { KafkaCodeError } from '../common/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRecords, encodeRecordBatch, iterateBatches } from '../protocol/record-batch.js';
import { StorageError } from '../common/errors.js';
import { nodeIo, type FileIo } from './io.js';
import { DEFAULT_LOG_CONFIG, parseTopicConfigs, type LogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import { validateTopicName } from './topic-names.js';
import { isNoSpace, releaseSpaceReserve } from './data-dir.js';
import { PARTITIONS_MAX } from '../common/limits.js';

export interface TopicMetadata {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Explicit overrides only. */
  configs: Record<string, string>;
}

type MetadataEvent =
  | { type: 'createTopic'; topic: TopicMetadata }
  | { type: 'deleteTopic'; name: string }
  | { type: 'setPartitionCount'; name: string; partitionCount: number }
  | { type: 'setConfigs'; name: string; configs: Record<string, string> };

export const METADATA_DIR_NAME = '__metadata';

const METADATA_LOG_CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 * 1024, retentionMs: -1, flushMessages: 1 };

export class MetadataLog {
  private readonly state = new Map<string, TopicMetadata>();

  private constructor(
    private readonly log: PartitionLog,
    private readonly dataDir: string,
  ) {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const buf = log.read(offset, 1024 * 1024);
      for (const { pos, sizeBytes } of iterateBatches(buf)) {
        for (const record of decodeRecords(buf.subarray(pos, pos + sizeBytes))) {
          if (record.offset >= offset && record.value !== null) this.apply(JSON.parse(record.value.toString('utf8')) as MetadataEvent);
          offset = record.offset + 1;
        }
      }
    }
  }

  static open(dataDir: string, options: { io?: FileIo } = {}): MetadataLog {
    const open = () => PartitionLog.open(`${dataDir}/${METADATA_DIR_NAME}`, METADATA_LOG_CONFIG, { io: options.io ?? nodeIo });
    return new MetadataLog(withSpaceReserve(dataDir, open), dataDir);
  }

  /** A copy: callers cannot change the state except through events. */
  topics(): Map<string, TopicMetadata> {
    return new Map([...this.state].map(([name, t]) => [name, { ...t, configs: { ...t.configs } }]));
  }

  createTopic(topic: TopicMetadata): void {
    validateTopicName(topic.name);
    if (this.state.has(topic.name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    checkPartitionCount(topic.partitionCount);
    parseTopicConfigs(topic.configs);
    this.commit({ type: 'createTopic', topic: { ...topic, configs: { ...topic.configs } } });
  }

  deleteTopic(name: string): void {
    this.existing(name);
    this.commit({ type: 'deleteTopic', name });
  }

  setPartitionCount(name: string, partitionCount: number): void {
    const topic = this.existing(name);
    checkPartitionCount(partitionCount);
    if (partitionCount <= topic.partitionCount) {
      throw new KafkaCodeError(ErrorCode.INVALID_PARTITIONS, `topic '${name}' has ${topic.partitionCount} partitions; the count can only grow`);
    }
    this.commit({ type: 'setPartitionCount', name, partitionCount });
  }

  /** Replaces the topic's overrides. */
  setConfigs(name: string, configs: Record<string, string>): void {
    this.existing(name);
    parseTopicConfigs(configs);
    this.commit({ type: 'setConfigs', name, configs: { ...configs } });
  }

  close(): void {
    try {
      this.log.close();
    } catch (err) {
      // Its files are closed either way; without the marker the next open rescans the log.
      if (!isNoSpace(err)) throw err;
    }
  }

  private existing(name: string): TopicMetadata {
    const topic = this.state.get(name);
    if (topic === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    return topic;
  }

  /** Durable first (flush.messages=1), then applied: a crash never shows an unwritten change. */
  private commit(event: MetadataEvent): void {
    const batch = encodeRecordBatch([{ value: Buffer.from(JSON.stringify(event)) }]);
    // A failed append is cut back, so a second try after freeing the reserve appends it once.
    const result = withSpaceReserve(this.dataDir, () => this.log.append(Buffer.from(batch)));
    if (result.errorCode !== ErrorCode.NONE) throw new StorageError(`metadata event rejected with error code ${result.errorCode}`);
    this.apply(event);
  }

  private apply(event: MetadataEvent): void {
    switch (event.type) {
      case 'createTopic':
        this.state.set(event.topic.name, event.topic);
        break;
      case 'deleteTopic':
        this.state.delete(event.name);
        break;
      case 'setPartitionCount': {
        const topic = this.state.get(event.name);
        if (topic) topic.partitionCount = event.partitionCount;
        break;
      }
      case 'setConfigs': {
        const topic = this.state.get(event.name);
        if (topic) topic.configs = event.configs;
        break;
      }
    }
  }
}

/** Runs `operation`; on a full disk frees the data dir's space reserve and runs it once more. */
function withSpaceReserve<T>(dataDir: string, operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    if (!isNoSpace(err) || !releaseSpaceReserve(dataDir)) throw err;
    return operation();
  }
}

function checkPartitionCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1 || count > PARTITIONS_MAX) {
    throw new KafkaCodeError(ErrorCode.INVALID_PARTITIONS, `partition count ${count} is outside [1, ${PARTITIONS_MAX}]`);
  }
}
