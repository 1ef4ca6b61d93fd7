/**
 * The broker's topics: every topic's metadata, resolved log config and Partition objects, and the
 * broker-level config layers its topic defaults come from; with the admin changes to them
 * (create, delete, grow, alter topic or broker configs), each validated completely before the
 * one metadata-log record that makes it durable, then applied here.
 *
 * No scheduling of its own: the Broker runs these one at a time (its admin chain), tells the
 * group coordinators, and opens, closes or removes the partitions' files.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InvalidConfigError, InvalidTopicError, KafkaCodeError } from '../common/errors.js';
import { kafkaCodeFor } from '../common/error-table.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { parseTopicConfigs, resolveLogConfig, topicConfigValues, type LogConfig } from '../storage/log-config.js';
import { parseBrokerConfigs, staticLayerFromTopicDefaults, topicDefaultsFrom, type BrokerConfigLayers, type BrokerConfigScope } from '../storage/broker-configs.js';
import type { MetadataLog, TopicMetadata } from '../storage/metadata-log.js';
import { partitionDirName, validateTopicName } from '../storage/topic-names.js';
import type { Partition } from './partition/partition.js';
import { OFFSETS_TOPIC } from './coordinator/coordinator-config.js';
import type { NewTopic, TopicInfo } from './broker-types.js';

/** Kafka's internal topics: hidden from regex subscriptions, managed by the broker itself. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export interface TopicEntry {
  metadata: TopicMetadata;
  config: LogConfig;
  partitions: Partition[];
}

/** Makes the (unopened) Partition object of one partition. */
export type PartitionFactory = (topic: string, partition: number, dir: string, config: LogConfig, fresh: boolean) => Partition;

/** Turns storage-layer validation errors into the Kafka codes admin callers expect. */
export function asKafkaCodeError(err: unknown): unknown {
  if (err instanceof InvalidTopicError || err instanceof InvalidConfigError) return new KafkaCodeError(kafkaCodeFor(err, 'admin'), err.message);
  return err;
}

export class TopicTable {
  private readonly byName = new Map<string, TopicEntry>();
  /** Broker-level configs (broker-configs.ts) and the topic defaults they make. */
  private brokerLayers: BrokerConfigLayers;
  private topicDefaults: Record<string, string>;

  constructor(
    private readonly dataDir: string,
    private readonly metadata: MetadataLog,
    staticTopicDefaults: Record<string, string>,
    private readonly newPartition: PartitionFactory,
  ) {
    this.brokerLayers = { perBroker: metadata.brokerConfigs('0'), clusterDefault: metadata.brokerConfigs(''), static: staticLayerFromTopicDefaults(staticTopicDefaults) };
    this.topicDefaults = topicDefaultsFrom(this.brokerLayers);
  }

  /** Creates the Partition objects of a topic (none opened); partitions from `fromPartition` on. */
  add(metadata: TopicMetadata, fresh: boolean, fromPartition = 0): Partition[] {
    let entry = this.byName.get(metadata.name);
    if (entry === undefined) {
      entry = { metadata, config: resolveLogConfig(metadata.configs, this.topicDefaults), partitions: [] };
      this.byName.set(metadata.name, entry);
    }
    entry.metadata = metadata;
    const added: Partition[] = [];
    for (let p = fromPartition; p < metadata.partitionCount; p++) {
      const partition = this.newPartition(metadata.name, p, path.join(this.dataDir, partitionDirName(metadata.name, p)), entry.config, fresh);
      entry.partitions[p] = partition;
      added.push(partition);
    }
    return added;
  }

  get(name: string): TopicEntry | undefined {
    return this.byName.get(name);
  }

  existing(name: string): TopicEntry {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    return entry;
  }

  partition(topic: string, partition: number): Partition | undefined {
    return this.byName.get(topic)?.partitions[partition];
  }

  allPartitions(): Partition[] {
    return [...this.byName.values()].flatMap((entry) => entry.partitions);
  }

  /** Partition count per topic, for the group coordinators' topicExists. */
  partitionCounts(): [string, number][] {
    return [...this.byName].map(([name, entry]) => [name, entry.metadata.partitionCount]);
  }

  list(): TopicInfo[] {
    return [...this.byName.keys()].sort().map((name) => this.info(name)!);
  }

  info(name: string): TopicInfo | undefined {
    const entry = this.byName.get(name);
    if (entry === undefined) return undefined;
    const { topicId, partitionCount, configs } = entry.metadata;
    return { name, topicId, partitionCount, configs: { ...configs }, internal: INTERNAL_TOPICS.has(name), leaderEpoch: this.metadata.leaderEpoch(name) };
  }

  /** The effective config (broker defaults overlaid with the topic's overrides), Kafka names. */
  topicConfig(name: string): Record<string, string> {
    return topicConfigValues(this.existing(name).metadata.configs, this.topicDefaults);
  }

  brokerConfigLayers(): BrokerConfigLayers {
    return this.brokerLayers;
  }

  /**
   * Creates every valid topic of every call in ONE metadata-log record; answers per call and topic
   * null or the KafkaCodeError that refused it, and returns what was created (not opened).
   */
  create(calls: readonly (readonly NewTopic[])[]): { errors: (Error | null)[][]; accepted: TopicMetadata[]; added: Map<string, Partition[]> } {
    const accepted: TopicMetadata[] = [];
    const names = new Set<string>();
    const errors = calls.map((topics) => topics.map(({ name, partitions, configs }): Error | null => {
      const metadata: TopicMetadata = { name, topicId: randomUUID(), partitionCount: partitions, configs: { ...(configs ?? {}) } };
      try {
        validateTopicName(name);
        if (this.byName.has(name) || names.has(name)) throw new KafkaCodeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
        parseTopicConfigs(metadata.configs, this.topicDefaults);
        this.metadata.checkNewTopic(metadata); // the partition count: INVALID_PARTITIONS
        names.add(name);
        accepted.push(metadata);
        return null;
      } catch (err) {
        return asKafkaCodeError(err) as Error;
      }
    }));
    if (accepted.length > 0) this.metadata.createTopics(accepted);
    const added = new Map(accepted.map((metadata) => [metadata.name, this.add(metadata, true)]));
    return { errors, accepted, added };
  }

  /**
   * Deletes every existing topic of the list with ONE metadata-log record (before any file goes: a
   * crash in between leaves only garbage, which createTopic clears); answers per name null or the
   * error that refused it, and returns the deleted topics' partitions, still open.
   */
  delete(names: readonly string[]): { errors: (Error | null)[]; deleted: string[]; partitions: Partition[] } {
    const errors: (Error | null)[] = [];
    const entries = new Map<string, TopicEntry>();
    for (const name of names) {
      try {
        // Kafka refuses to delete internal topics through the admin API.
        if (name === OFFSETS_TOPIC) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `topic '${name}' is internal`);
        entries.set(name, this.existing(name)); // a name listed twice is deleted once
        errors.push(null);
      } catch (err) {
        errors.push(asKafkaCodeError(err) as Error);
      }
    }
    if (entries.size === 0) return { errors, deleted: [], partitions: [] };
    this.metadata.deleteTopics([...entries.keys()]);
    for (const name of entries.keys()) this.byName.delete(name);
    return { errors, deleted: [...entries.keys()], partitions: [...entries.values()].flatMap((entry) => entry.partitions) };
  }

  /** Grows a topic to `totalCount` partitions (INVALID_PARTITIONS unless it grows); returns the new ones, not opened. */
  grow(name: string, totalCount: number): Partition[] {
    const entry = this.existing(name);
    const previousCount = entry.metadata.partitionCount;
    this.metadata.setPartitionCount(name, totalCount);
    return this.add({ ...entry.metadata, partitionCount: totalCount }, true, previousCount);
  }

  /** Replaces (or merges into) a topic's config overrides; returns its partitions with their new config. */
  alterConfigs(name: string, configs: Record<string, string>, mode: 'replace' | 'incremental'): { partitions: Partition[]; config: LogConfig } {
    const entry = this.existing(name);
    const overrides = mode === 'replace' ? { ...configs } : { ...entry.metadata.configs, ...configs };
    let config: LogConfig;
    try {
      parseTopicConfigs(overrides, this.topicDefaults);
      config = resolveLogConfig(overrides, this.topicDefaults);
    } catch (err) {
      throw asKafkaCodeError(err);
    }
    this.metadata.setConfigs(name, overrides);
    entry.metadata = { ...entry.metadata, configs: overrides };
    entry.config = config;
    return { partitions: entry.partitions, config };
  }

  /**
   * Replaces the dynamic configs of broker `nodeId` (scope 'broker') or of the cluster default,
   * durably, and gives every topic without its own override the new defaults. Returns the
   * partitions whose config changed, with it. Bad names or values: INVALID_CONFIG, nothing changed.
   */
  alterBrokerConfigs(nodeId: number, scope: BrokerConfigScope, configs: Record<string, string>, validateOnly: boolean): Array<{ partition: Partition; config: LogConfig }> {
    let layers: BrokerConfigLayers;
    let topicDefaults: Record<string, string>;
    try {
      const parsed = parseBrokerConfigs(configs);
      layers = scope === 'broker' ? { ...this.brokerLayers, perBroker: parsed } : { ...this.brokerLayers, clusterDefault: parsed };
      topicDefaults = topicDefaultsFrom(layers);
      topicConfigValues({}, topicDefaults); // e.g. log.roll.ms=0 would make segment.ms invalid
      for (const entry of this.byName.values()) parseTopicConfigs(entry.metadata.configs, topicDefaults);
    } catch (err) {
      throw asKafkaCodeError(err);
    }
    if (validateOnly) return [];
    this.metadata.setBrokerConfigs(scope === 'broker' ? String(nodeId) : '', scope === 'broker' ? layers.perBroker : layers.clusterDefault);
    this.brokerLayers = layers;
    this.topicDefaults = topicDefaults;
    const changed: Array<{ partition: Partition; config: LogConfig }> = [];
    for (const entry of this.byName.values()) {
      const config = resolveLogConfig(entry.metadata.configs, topicDefaults);
      if (JSON.stringify(config) === JSON.stringify(entry.config)) continue;
      entry.config = config;
      for (const partition of entry.partitions) changed.push({ partition, config });
    }
    return changed;
  }
}
