/**
 * Requests that make each handler do real work at any version (an existing topic with records, a
 * group with committed offsets), for the version sweep (test/server/version-sweep.test.ts). Every
 * field a version cannot carry stays at its default, as a real client of that version sends it.
 */
import { expect } from 'vitest';
import { ApiKey } from '../../../src/protocol/api-keys.js';
import * as createTopicsApi from '../../../src/protocol/apis/create-topics.js';
import * as deleteTopicsApi from '../../../src/protocol/apis/delete-topics.js';
import * as describeConfigsApi from '../../../src/protocol/apis/describe-configs.js';
import * as describeGroupsApi from '../../../src/protocol/apis/describe-groups.js';
import * as fetchApi from '../../../src/protocol/apis/fetch.js';
import * as findCoordinatorApi from '../../../src/protocol/apis/find-coordinator.js';
import * as listOffsetsApi from '../../../src/protocol/apis/list-offsets.js';
import * as metadataApi from '../../../src/protocol/apis/metadata.js';
import * as offsetCommitApi from '../../../src/protocol/apis/offset-commit.js';
import * as offsetFetchApi from '../../../src/protocol/apis/offset-fetch.js';
import * as offsetForLeaderEpochApi from '../../../src/protocol/apis/offset-for-leader-epoch.js';
import * as produceApi from '../../../src/protocol/apis/produce.js';
import * as listGroupsApi from '../../../src/protocol/apis/list-groups.js';
import * as describeClusterApi from '../../../src/protocol/apis/describe-cluster.js';
import * as describeLogDirsApi from '../../../src/protocol/apis/describe-log-dirs.js';
import * as describeProducersApi from '../../../src/protocol/apis/describe-producers.js';
import * as describeScramApi from '../../../src/protocol/apis/describe-user-scram-credentials.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import type { RawClient } from './raw-client.js';

export const SWEEP_TOPIC = 'sweep';
export const SWEEP_GROUP = 'sweep-group';
let sweepTopicId = '';
let createdCount = 0;

/** Creates the topic (2 partitions), writes a record, commits an offset; learns the topic id. */
export async function prepareSweep(client: RawClient): Promise<void> {
  const created = await client.request<createTopicsApi.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopicsApi.defaultRequest(),
    topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: SWEEP_TOPIC, numPartitions: 2, replicationFactor: 1 }],
  });
  expect(created.topics[0]!.errorCode).toBe(0);
  const produced = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, meaningfulRequest(ApiKey.Produce, 7));
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  const committed = await client.request<offsetCommitApi.OffsetCommitResponse>(ApiKey.OffsetCommit, 2, meaningfulRequest(ApiKey.OffsetCommit, 2));
  expect(committed.topics[0]!.partitions[0]!.errorCode).toBe(0);
  const metadata = await client.request<metadataApi.MetadataResponse>(ApiKey.Metadata, 12, meaningfulRequest(ApiKey.Metadata, 12));
  sweepTopicId = metadata.topics[0]!.topicId;
}

/** A request for `apiKey` at `version` that reaches the handler's success path, if we have one. */
export function meaningfulRequest(apiKey: number, version: number): unknown {
  switch (apiKey) {
    case ApiKey.Produce:
      return {
        ...produceApi.defaultRequest(), acks: -1, timeoutMs: 5000,
        topicData: [{ ...produceApi.defaultTopicProduceData(), name: SWEEP_TOPIC,
          partitionData: [{ ...produceApi.defaultPartitionProduceData(), index: 0, records: encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(`v${version}`) }]) }] }],
      };
    case ApiKey.Fetch:
      return {
        ...fetchApi.defaultRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: version >= 4 ? 1 : 0,
        topics: [{ ...fetchApi.defaultFetchTopic(), ...(version >= 13 ? { topicId: sweepTopicId } : { topic: SWEEP_TOPIC }),
          partitions: [0, 1].map((partition) => ({ ...fetchApi.defaultFetchPartition(), partition, fetchOffset: 0, partitionMaxBytes: 1 << 20,
            currentLeaderEpoch: version >= 9 ? 0 : -1 })) }],
      };
    case ApiKey.ListOffsets:
      return {
        ...listOffsetsApi.defaultRequest(), replicaId: -1,
        topics: [{ ...listOffsetsApi.defaultListOffsetsTopic(), name: SWEEP_TOPIC,
          partitions: [-1, -2, 0].map((timestamp, partitionIndex) => ({ ...listOffsetsApi.defaultListOffsetsPartition(), partitionIndex: partitionIndex % 2, timestamp }))
            .slice(0, 2) }],
      };
    case ApiKey.Metadata:
      return { ...metadataApi.defaultRequest(), topics: [{ ...metadataApi.defaultMetadataRequestTopic(), name: SWEEP_TOPIC }],
        includeTopicAuthorizedOperations: version >= 8, includeClusterAuthorizedOperations: version >= 8 && version <= 10 };
    case ApiKey.OffsetCommit:
      return {
        ...offsetCommitApi.defaultRequest(), groupId: SWEEP_GROUP,
        topics: [{ ...offsetCommitApi.defaultOffsetCommitRequestTopic(), name: SWEEP_TOPIC,
          partitions: [{ ...offsetCommitApi.defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 1, committedMetadata: 'm',
            committedLeaderEpoch: version >= 6 ? 0 : -1 }] }],
      };
    case ApiKey.OffsetFetch:
      if (version >= 8) return { ...offsetFetchApi.defaultRequest(), groups: [{ ...offsetFetchApi.defaultOffsetFetchRequestGroup(), groupId: SWEEP_GROUP, topics: null }] };
      return { ...offsetFetchApi.defaultRequest(), groupId: SWEEP_GROUP,
        topics: version >= 2 ? null : [{ ...offsetFetchApi.defaultOffsetFetchRequestTopic(), name: SWEEP_TOPIC, partitionIndexes: [0, 1] }] };
    case ApiKey.FindCoordinator:
      return version >= 4
        ? { ...findCoordinatorApi.defaultRequest(), coordinatorKeys: [SWEEP_GROUP, 'other-group'] }
        : { ...findCoordinatorApi.defaultRequest(), key: SWEEP_GROUP };
    case ApiKey.DescribeGroups:
      return { ...describeGroupsApi.defaultRequest(), groups: [SWEEP_GROUP, 'unknown-group'], includeAuthorizedOperations: version >= 3 };
    case ApiKey.ListGroups:
      return { ...listGroupsApi.defaultRequest(), statesFilter: version >= 4 ? ['Empty'] : [], typesFilter: version >= 5 ? ['classic'] : [] };
    case ApiKey.CreateTopics:
      return {
        ...createTopicsApi.defaultRequest(), timeoutMs: 5000,
        topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: `sweep-created-${createdCount++}`, numPartitions: version >= 4 ? -1 : 1,
          replicationFactor: version >= 4 ? -1 : 1, configs: [{ ...createTopicsApi.defaultCreatableTopicConfig(), name: 'retention.ms', value: '3600000' }] }],
      };
    case ApiKey.DeleteTopics:
      return version >= 6
        ? { ...deleteTopicsApi.defaultRequest(), topics: [{ ...deleteTopicsApi.defaultDeleteTopicState(), name: `sweep-created-${createdCount - 1}` }] }
        : { ...deleteTopicsApi.defaultRequest(), topicNames: ['no-such-topic'] };
    case ApiKey.DescribeConfigs:
      return { ...describeConfigsApi.defaultRequest(), resources: [{ ...describeConfigsApi.defaultDescribeConfigsResource(), resourceType: 2, resourceName: SWEEP_TOPIC, configurationKeys: null }],
        includeSynonyms: version >= 1, includeDocumentation: version >= 3 };
    case ApiKey.OffsetForLeaderEpoch:
      return { ...offsetForLeaderEpochApi.defaultRequest(), replicaId: -1,
        topics: [{ ...offsetForLeaderEpochApi.defaultOffsetForLeaderTopic(), topic: SWEEP_TOPIC,
          partitions: [{ ...offsetForLeaderEpochApi.defaultOffsetForLeaderPartition(), partition: 0, leaderEpoch: 0, currentLeaderEpoch: version >= 2 ? 0 : -1 }] }] };
    case ApiKey.DescribeCluster:
      return { ...describeClusterApi.defaultRequest(), includeClusterAuthorizedOperations: true };
    case ApiKey.DescribeLogDirs:
      return { ...describeLogDirsApi.defaultRequest(), topics: null };
    case ApiKey.DescribeProducers:
      return { ...describeProducersApi.defaultRequest(), topics: [{ name: SWEEP_TOPIC, partitionIndexes: [0, 1] }] };
    case ApiKey.DescribeUserScramCredentials:
      return { ...describeScramApi.defaultRequest(), users: null };
    default:
      return undefined;
  }
}
