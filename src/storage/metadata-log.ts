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
import { isSecurityEvent, SecurityState, type AclBinding, type SecurityEvent, type SecurityMetadataStore, type StoredScramCredential } from './metadata-security.js';

export interface TopicMetadata {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Explicit overrides only. */
  configs: Record<string, string>;
}

type MetadataEvent =
  | SecurityEvent
  | { type: 'createTopic'; topic: TopicMetadata }
  /** Several topics created by one request (one record, one fsync). */
  | { type: 'createTopics'; topics: TopicMetadata[] }
  | { type: 'deleteTopic'; name: string }
  /** Several topics deleted by one request (one record, one fsync). */
  | { type: 'deleteTopics'; names: string[] }
  | { type: 'setPartitionCount'; name: string; partitionCount: number }
  | { type: 'setConfigs'; name: string; configs: Record<string, string> }
  /** The dynamic broker configs of one broker resource ("0" or "" for the cluster default), replaced whole. */
  | { type: 'setBrokerConfigs'; resourceName: string; configs: Record<string, string> };

export const METADATA_DIR_NAME = '__metadata';

const METADATA_LOG_CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 * 1024, retentionMs: -1, flushMessages: 1 };

export class MetadataLog implements SecurityMetadataStore {
  private readonly state = new Map<string, TopicMetadata>();
  /** Dynamic broker configs by broker resource name ("0", ""), as AlterConfigs left them. */
  private readonly brokerConfigState = new Map<string, Record<string, string>>();
  /** ACLs and SCRAM credentials created through the admin APIs (metadata-security.ts). */
  private readonly security = new SecurityState();
  /**
   * Leader epoch of each topic's partitions (KIP-320). One host never changes leader, so a topic
   * keeps one epoch for its whole life; a topic created again under a name used before gets the
   * previous topic's epoch + 1. Derived from the event history (the log is never compacted), so no
   * event carries it. Clients holding a position from the deleted topic then see a newer epoch in
   * Metadata and OffsetForLeaderEpoch answers their older epoch with the new log's start: they detect
   * the truncation and reset instead of reading the new topic from a stale offset.
   */
  private readonly epochs = new Map<string, number>();

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

  /** The leader epoch of every partition of topic `name` (0 unless the name was used before). */
  leaderEpoch(name: string): number {
    return this.epochs.get(name) ?? 0;
  }

  /** A copy: callers cannot change the state except through events. */
  topics(): Map<string, TopicMetadata> {
    return new Map([...this.state].map(([name, t]) => [name, { ...t, configs: { ...t.configs } }]));
  }

  createTopic(topic: TopicMetadata): void {
    this.checkNewTopic(topic);
    this.commit({ type: 'createTopic', topic: { ...topic, configs: { ...topic.configs } } });
  }

  /** What createTopic checks, without writing: name, existence, partition count, configs. */
  checkNewTopic(topic: TopicMetadata): void {
    validateTopicName(topic.name);
    if (this.state.has(topic.name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    checkPartitionCount(topic.partitionCount);
    parseTopicConfigs(topic.configs);
  }

  /** Creates every topic with one durable record; each is checked first as createTopic does, and none is created if one fails. */
  createTopics(topics: TopicMetadata[]): void {
    const names = new Set<string>();
    for (const topic of topics) {
      this.checkNewTopic(topic);
      if (names.has(topic.name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
      names.add(topic.name);
    }
    if (topics.length === 0) return;
    this.commit({ type: 'createTopics', topics: topics.map((t) => ({ ...t, configs: { ...t.configs } })) });
  }

  deleteTopic(name: string): void {
    this.existing(name);
    this.commit({ type: 'deleteTopic', name });
  }

  /** Deletes every topic with one durable record; none is deleted if one does not exist. */
  deleteTopics(names: string[]): void {
    for (const name of names) this.existing(name);
    if (names.length === 0) return;
    this.commit({ type: 'deleteTopics', names: [...names] });
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

  /** The dynamic broker configs of a broker resource ("0" or ""), a copy. */
  brokerConfigs(resourceName: string): Record<string, string> {
    return { ...(this.brokerConfigState.get(resourceName) ?? {}) };
  }

  /** Replaces a broker resource's dynamic configs (validated by the caller: broker-configs.ts). */
  setBrokerConfigs(resourceName: string, configs: Record<string, string>): void {
    this.commit({ type: 'setBrokerConfigs', resourceName, configs: { ...configs } });
  }

  acls(): AclBinding[] {
    return this.security.acls();
  }

  scramCredentials(): StoredScramCredential[] {
    return this.security.scramCredentials();
  }

  /** All of `events` or none: one batch, one append, fsynced (flush.messages=1). */
  alterSecurity(events: SecurityEvent[]): void {
    if (events.length > 0) this.commitAll(events);
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
    this.commitAll([event]);
  }

  private commitAll(events: MetadataEvent[]): void {
    const batch = encodeRecordBatch(events.map((event) => ({ value: Buffer.from(JSON.stringify(event)) })));
    // A failed append is cut back, so a second try after freeing the reserve appends it once.
    const result = withSpaceReserve(this.dataDir, () => this.log.append(batch));
    if (result.errorCode !== ErrorCode.NONE) throw new StorageError(`metadata event rejected with error code ${result.errorCode}`);
    for (const event of events) this.apply(event);
  }

  /** A topic exists now: a name used before gets the previous topic's leader epoch + 1. */
  private created(topic: TopicMetadata): void {
    const previous = this.epochs.get(topic.name);
    this.epochs.set(topic.name, previous === undefined ? 0 : previous + 1);
    this.state.set(topic.name, topic);
  }

  private apply(event: MetadataEvent): void {
    if (isSecurityEvent(event)) return this.security.apply(event);
    switch (event.type) {
      case 'createTopic':
        this.created(event.topic);
        break;
      case 'createTopics':
        for (const topic of event.topics) this.created(topic);
        break;
      case 'deleteTopic':
        this.state.delete(event.name);
        break;
      case 'deleteTopics':
        for (const name of event.names) this.state.delete(name);
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
      case 'setBrokerConfigs':
        this.brokerConfigState.set(event.resourceName, event.configs);
        break;
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
