/**
 * Flexible versions (KIP-482) against an independent implementation: @platformatic/kafka 1.35.0's
 * hand-written encoders and decoders (it speaks only flexible versions). Requests it encodes must
 * decode with our codecs to the expected fields and re-encode byte for byte; responses we encode
 * must parse with its decoders to the same values. kafkajs covers the non-flexible versions
 * (golden-requests.test.ts). Its modules are not in its package exports, so they are loaded by path.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_BY_KEY, ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@platformatic/kafka'));
const load = async (module: string): Promise<any> => import(pathToFileURL(path.join(dist, 'apis', `${module}.js`)).href);
const { Reader: PlatformaticReader } = await import(pathToFileURL(path.join(dist, 'protocol', 'reader.js')).href);
const TOPIC_ID = '6b1f3a9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b';

interface RequestCase {
  module: string;
  apiKey: number;
  version: number;
  args: unknown[];
  expected: Record<string, unknown>;
  /** Bytes it writes after the message (a second tagged-field section): not ours to re-encode. */
  trailingBytes?: number;
}

const REQUESTS: RequestCase[] = [
  { module: 'metadata/api-versions-v4', apiKey: ApiKey.ApiVersions, version: 4, args: ['brook-test', '1.0'],
    expected: { clientSoftwareName: 'brook-test', clientSoftwareVersion: '1.0' } },
  { module: 'metadata/metadata-v12', apiKey: ApiKey.Metadata, version: 12, args: [['orders', 'logs'], true, true],
    expected: { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }, { topicId: '00000000-0000-0000-0000-000000000000', name: 'logs' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true } },
  { module: 'consumer/fetch-v17', apiKey: ApiKey.Fetch, version: 17,
    args: [500, 1, 1048576, 1, 0, -1, [{ topicId: TOPIC_ID, partitions: [{ partition: 2, currentLeaderEpoch: 3, fetchOffset: 42n, lastFetchedEpoch: 1, partitionMaxBytes: 65536 }] }], [], 'rack-a'],
    expected: { maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-a',
      topics: [{ topicId: TOPIC_ID, partitions: [{ partition: 2, currentLeaderEpoch: 3, fetchOffset: 42, lastFetchedEpoch: 1, logStartOffset: -1, partitionMaxBytes: 65536 }] }] } },
  { module: 'consumer/list-offsets-v9', apiKey: ApiKey.ListOffsets, version: 9, args: [-1, 0, [{ name: 'orders', partitions: [{ partitionIndex: 1, currentLeaderEpoch: 0, timestamp: -3n }] }]],
    expected: { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, currentLeaderEpoch: 0, timestamp: -3 }] }] } },
  { module: 'consumer/offset-commit-v9', apiKey: ApiKey.OffsetCommit, version: 9,
    args: ['g1', 3, 'm-1', null, [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 2, committedMetadata: 'meta' }] }]],
    expected: { groupId: 'g1', generationIdOrMemberEpoch: 3, memberId: 'm-1', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 2, committedMetadata: 'meta' }] }] } },
  { module: 'consumer/offset-fetch-v9', apiKey: ApiKey.OffsetFetch, version: 9,
    args: [[{ groupId: 'g1', memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [0, 3] }] }], true],
    expected: { requireStable: true, groups: [{ groupId: 'g1', memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [0, 3] }] }] } },
  { module: 'metadata/find-coordinator-v6', apiKey: ApiKey.FindCoordinator, version: 6, args: [0, ['g1', 'g2']],
    expected: { keyType: 0, coordinatorKeys: ['g1', 'g2'] } },
  { module: 'consumer/join-group-v9', apiKey: ApiKey.JoinGroup, version: 9,
    args: ['g1', 30000, 60000, '', 'static-1', 'consumer', [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }], 'starting'],
    expected: { groupId: 'g1', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: '', groupInstanceId: 'static-1', protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }], reason: 'starting' } },
  { module: 'consumer/leave-group-v5', apiKey: ApiKey.LeaveGroup, version: 5, args: ['g1', [{ memberId: '', groupInstanceId: 'static-1', reason: 'bye' }]],
    expected: { groupId: 'g1', members: [{ memberId: '', groupInstanceId: 'static-1', reason: 'bye' }] } },
  { module: 'admin/create-topics-v7', apiKey: ApiKey.CreateTopics, version: 7,
    args: [[{ name: 'orders', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], 5000, false],
    expected: { timeoutMs: 5000, validateOnly: false, topics: [{ name: 'orders', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }] } },
  { module: 'admin/delete-topics-v6', apiKey: ApiKey.DeleteTopics, version: 6, args: [[{ name: null, topicId: TOPIC_ID }], 5000],
    expected: { timeoutMs: 5000, topics: [{ name: null, topicId: TOPIC_ID }] } },
  { module: 'admin/create-acls-v3', apiKey: ApiKey.CreateAcls, version: 3,
    args: [[{ resourceType: 2, resourceName: 'logs-', resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }]],
    expected: { creations: [{ resourceType: 2, resourceName: 'logs-', resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] } },
  { module: 'admin/describe-acls-v3', apiKey: ApiKey.DescribeAcls, version: 3,
    args: [{ resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }],
    expected: { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 } },
  { module: 'consumer/offset-for-leader-epoch-v4', apiKey: ApiKey.OffsetForLeaderEpoch, version: 4,
    args: [-1, [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }] }]],
    expected: { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }] }] } },
  { module: 'admin/alter-user-scram-credentials-v0', apiKey: ApiKey.AlterUserScramCredentials, version: 0,
    args: [[{ name: 'old', mechanism: 2 }], [{ name: 'dave', mechanism: 1, iterations: 8192, salt: Buffer.from('salt'), saltedPassword: Buffer.from('salted') }]],
    expected: { deletions: [{ name: 'old', mechanism: 2 }], upsertions: [{ name: 'dave', mechanism: 1, iterations: 8192, salt: Buffer.from('salt'), saltedPassword: Buffer.from('salted') }] },
    trailingBytes: 1 },
  { module: 'admin/describe-cluster-v1', apiKey: ApiKey.DescribeCluster, version: 1, args: [true, 1],
    expected: { includeClusterAuthorizedOperations: true, endpointType: 1 } },
  { module: 'admin/describe-log-dirs-v4', apiKey: ApiKey.DescribeLogDirs, version: 4, args: [[{ name: 'orders', partitions: [0, 1] }]],
    expected: { topics: [{ topic: 'orders', partitions: [0, 1] }] } },
];

describe('flexible request bytes from @platformatic/kafka 1.35.0', () => {
  for (const c of REQUESTS) {
    it(`${c.module}: decodes to the expected fields and re-encodes the same bytes`, async () => {
      const { createRequest } = await load(c.module);
      const bytes: Buffer = createRequest(...c.args).buffer;
      const codec = API_BY_KEY.get(c.apiKey)!;
      const reader = new Reader(bytes);
      const body = codec.decodeRequest(reader, c.version);
      expect(reader.remainingBytes).toBe(c.trailingBytes ?? 0);
      expect(body).toMatchObject(c.expected);
      const writer = new Writer();
      codec.encodeRequest(writer, c.version, body);
      expect(Buffer.from(writer.toBuffer()).toString('hex')).toBe(bytes.subarray(0, bytes.length - (c.trailingBytes ?? 0)).toString('hex'));
    });
  }
});

interface ResponseCase {
  module: string;
  apiKey: number;
  version: number;
  body: (codec: any) => unknown;
  /** What its parser must return for our bytes. */
  expected: Record<string, unknown>;
}

const RESPONSES: ResponseCase[] = [
  { module: 'metadata/metadata-v12', apiKey: ApiKey.Metadata, version: 12,
    body: (m) => ({ ...m.defaultResponse(), clusterId: 'c1', controllerId: 0, brokers: [{ ...m.defaultMetadataResponseBroker(), nodeId: 0, host: 'h', port: 9092 }],
      topics: [{ ...m.defaultMetadataResponseTopic(), name: 'orders', topicId: TOPIC_ID, partitions: [{ ...m.defaultMetadataResponsePartition(), partitionIndex: 0, leaderId: 0, leaderEpoch: 4, replicaNodes: [0], isrNodes: [0] }] }] }),
    expected: { clusterId: 'c1', controllerId: 0, brokers: [{ nodeId: 0, host: 'h', port: 9092, rack: null }],
      topics: [expect.objectContaining({ name: 'orders', topicId: TOPIC_ID, partitions: [expect.objectContaining({ partitionIndex: 0, leaderId: 0, leaderEpoch: 4, replicaNodes: [0] })] })] } },
  { module: 'metadata/find-coordinator-v6', apiKey: ApiKey.FindCoordinator, version: 6,
    body: (m) => ({ ...m.defaultResponse(), coordinators: [{ ...m.defaultCoordinator(), key: 'g1', nodeId: 0, host: 'h', port: 9092, errorMessage: null }] }),
    expected: { coordinators: [{ key: 'g1', nodeId: 0, host: 'h', port: 9092, errorCode: 0, errorMessage: null }] } },
  { module: 'consumer/offset-fetch-v9', apiKey: ApiKey.OffsetFetch, version: 9,
    body: (m) => ({ ...m.defaultResponse(), groups: [{ ...m.defaultOffsetFetchResponseGroup(), groupId: 'g1',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 1, metadata: '', errorCode: 0 }] }] }] }),
    expected: { groups: [expect.objectContaining({ groupId: 'g1', errorCode: 0, topics: [{ name: 'orders', partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: 1 })] }] })] } },
  { module: 'consumer/list-offsets-v9', apiKey: ApiKey.ListOffsets, version: 9,
    body: (m) => ({ ...m.defaultResponse(), topics: [{ name: 'orders', partitions: [{ ...m.defaultListOffsetsPartitionResponse(), partitionIndex: 0, timestamp: 5, offset: 9, leaderEpoch: 1 }] }] }),
    expected: { topics: [{ name: 'orders', partitions: [expect.objectContaining({ partitionIndex: 0, timestamp: 5n, offset: 9n, leaderEpoch: 1 })] }] } },
  { module: 'admin/describe-cluster-v1', apiKey: ApiKey.DescribeCluster, version: 1,
    body: (m) => ({ ...m.defaultResponse(), clusterId: 'c1', controllerId: 0, brokers: [{ ...m.defaultDescribeClusterBroker(), brokerId: 0, host: 'h', port: 9092 }] }),
    expected: { clusterId: 'c1', controllerId: 0, brokers: [{ brokerId: 0, host: 'h', port: 9092, rack: null }] } },
  { module: 'consumer/offset-for-leader-epoch-v4', apiKey: ApiKey.OffsetForLeaderEpoch, version: 4,
    body: (m) => ({ ...m.defaultResponse(), topics: [{ topic: 'orders', partitions: [{ ...m.defaultEpochEndOffset(), partition: 0, leaderEpoch: 2, endOffset: 11 }] }] }),
    expected: { topics: [{ topic: 'orders', partitions: [expect.objectContaining({ partition: 0, leaderEpoch: 2, endOffset: 11n })] }] } },
];

describe('flexible response bytes parsed by @platformatic/kafka 1.35.0', () => {
  for (const c of RESPONSES) {
    it(`${c.module}: parses what we encode`, async () => {
      const { parseResponse } = await load(c.module);
      const codec = API_BY_KEY.get(c.apiKey)!;
      const writer = new Writer();
      codec.encodeResponse(writer, c.version, c.body(codec));
      const parsed = parseResponse(1, c.apiKey, c.version, PlatformaticReader.from(Buffer.from(writer.toBuffer())));
      expect(parsed).toMatchObject(c.expected);
    });
  }
});
