/**
 * Where the group coordinators live and how they are sized: the internal `__consumer_offsets`
 * topic (Kafka's offsets.topic.num.partitions, fixed at first start and kept in the metadata log
 * so it never changes under existing data) and the number of coordinator worker threads.
 *
 * The Broker takes them in BrokerOptions.coordinators; entry points (`brook serve`, the CLI and
 * Brook.open) read them from environment variables, so tests and operators can set them without a
 * new flag on every command:
 *   BROOK_OFFSETS_TOPIC_NUM_PARTITIONS        offsets.topic.num.partitions at first start (default 4)
 *   BROOK_COORDINATOR_WORKERS                 coordinator worker threads (default min(P, cores, 2))
 *   BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS    group.initial.rebalance.delay.ms (default 3000)
 *   BROOK_OFFSETS_RETENTION_MINUTES           offsets.retention.minutes (default 10080: 7 days)
 *   BROOK_OFFSETS_RETENTION_CHECK_INTERVAL_MS offsets.retention.check.interval.ms (default 600000)
 */
import os from 'node:os';
import { InvalidConfigError } from '../../common/errors.js';
import type { GroupConfig } from '../../groups/index.js';
import { resolveLogConfig, type LogConfig } from '../../storage/log-config.js';
import type { MetadataLog, TopicMetadata } from '../../storage/metadata-log.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const OFFSETS_TOPIC_PARTITIONS_DEFAULT = 4;
export const COORDINATOR_WORKERS_DEFAULT = 2;
/** The topic id recorded for the internal topic: fixed, it is never recreated. */
const OFFSETS_TOPIC_ID = '00000000-0000-0000-0000-000000000001';

/** Kafka's offsets topic configs: compacted, with a small segment so compaction can work. */
export const OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
  'segment.bytes': String(100 * 1024 * 1024),
});

export interface CoordinatorSettings {
  /** Used only when the offsets topic does not exist yet. */
  offsetsTopicPartitionCount: number;
  workerCount: number;
  groupConfig: Partial<GroupConfig>;
}

function envInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidConfigError(`${name}=${raw} is not an integer >= ${min}`);
  return value;
}

/** What a broker uses when its options say nothing (the environment is read only by entry points). */
export const COORDINATOR_SETTINGS_DEFAULT: CoordinatorSettings = Object.freeze({
  offsetsTopicPartitionCount: OFFSETS_TOPIC_PARTITIONS_DEFAULT,
  workerCount: Math.min(COORDINATOR_WORKERS_DEFAULT, os.availableParallelism()),
  groupConfig: {},
});

/** The defaults with the BROOK_* overrides, for entry points (`brook serve`, the CLI, Brook.open). */
export function coordinatorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CoordinatorSettings {
  const offsetsTopicPartitionCount = envInt(env, 'BROOK_OFFSETS_TOPIC_NUM_PARTITIONS', 1) ?? OFFSETS_TOPIC_PARTITIONS_DEFAULT;
  const workerCount = envInt(env, 'BROOK_COORDINATOR_WORKERS', 1) ?? Math.min(COORDINATOR_WORKERS_DEFAULT, os.availableParallelism());
  const initialRebalanceDelayMs = envInt(env, 'BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS', 0);
  const retentionMinutes = envInt(env, 'BROOK_OFFSETS_RETENTION_MINUTES', 1);
  const retentionCheckIntervalMs = envInt(env, 'BROOK_OFFSETS_RETENTION_CHECK_INTERVAL_MS', 1);
  const groupConfig: Partial<GroupConfig> = {};
  if (initialRebalanceDelayMs !== undefined) groupConfig.initialRebalanceDelayMs = initialRebalanceDelayMs;
  if (retentionMinutes !== undefined) groupConfig.offsetsRetentionMs = retentionMinutes * 60_000;
  if (retentionCheckIntervalMs !== undefined) groupConfig.offsetsRetentionCheckIntervalMs = retentionCheckIntervalMs;
  return { offsetsTopicPartitionCount, workerCount, groupConfig };
}

/** The offsets topic from the metadata log, created there (durably) on first start. */
export function ensureOffsetsTopic(metadata: MetadataLog, partitionCount: number): TopicMetadata {
  const existing = metadata.topics().get(OFFSETS_TOPIC);
  if (existing !== undefined) return existing;
  const topic: TopicMetadata = { name: OFFSETS_TOPIC, topicId: OFFSETS_TOPIC_ID, partitionCount, configs: { ...OFFSETS_TOPIC_CONFIGS } };
  metadata.createTopic(topic);
  return topic;
}

export function offsetsLogConfig(topic: TopicMetadata): LogConfig {
  return resolveLogConfig({ ...OFFSETS_TOPIC_CONFIGS, ...topic.configs });
}
