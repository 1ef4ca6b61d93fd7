/**
 * Leader epochs (KIP-320) and topic ids (KIP-516) on one host, over a real socket: a topic's
 * partitions keep epoch 0 until the topic is deleted and created again under the same name, which
 * bumps it (and survives a restart); produced batches carry it; Fetch v9+/ListOffsets v4+ fence a
 * stale or future epoch; OffsetForLeaderEpoch answers where an epoch ends; Fetch v13+ reads by
 * topic id; ListOffsets v0 (old-style offsets) and v7 (max timestamp). Needs dist/ (tsc).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as deleteTopics from '../../src/protocol/apis/delete-topics.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as listOffsets from '../../src/protocol/apis/list-offsets.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as epochApi from '../../src/protocol/apis/offset-for-leader-epoch.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { RawClient } from './helpers/raw-client.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const TOPIC = 'epochs';
let server: ServerProcess;
let client: RawClient;

beforeAll(async () => {
  server = await startServer();
  client = await RawClient.connect(server.port);
});

afterAll(async () => {
  client?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

async function create(): Promise<void> {
  const response = await client.request<createTopics.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopics.defaultRequest(), topics: [{ ...createTopics.defaultCreatableTopic(), name: TOPIC, numPartitions: 1, replicationFactor: 1 }],
  });
  expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

async function describeTopic(): Promise<{ topicId: string; leaderEpoch: number }> {
  const response = await client.request<metadata.MetadataResponse>(ApiKey.Metadata, 12, {
    ...metadata.defaultRequest(), topics: [{ ...metadata.defaultMetadataRequestTopic(), name: TOPIC }],
  });
  const topic = response.topics[0]!;
  return { topicId: topic.topicId, leaderEpoch: topic.partitions[0]!.leaderEpoch };
}

async function produce(values: string[], timestamps?: number[]): Promise<void> {
  const records = encodeRecordBatch(values.map((v, i) => ({ value: Buffer.from(v), timestamp: timestamps?.[i] })));
  const response = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 9, {
    ...produceApi.defaultRequest(), acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

function fetchBody(version: number, currentLeaderEpoch: number, topicId = ''): fetchApi.FetchRequest {
  return {
    ...fetchApi.defaultRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), ...(version >= 13 ? { topicId } : { topic: TOPIC }),
      partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch }] }],
  };
}

async function endOffsetFor(leaderEpoch: number, currentLeaderEpoch = -1): Promise<[number, number, number]> {
  const response = await client.request<epochApi.OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
    ...epochApi.defaultRequest(), replicaId: -1,
    topics: [{ topic: TOPIC, partitions: [{ ...epochApi.defaultOffsetForLeaderPartition(), partition: 0, leaderEpoch, currentLeaderEpoch }] }],
  });
  const p = response.topics[0]!.partitions[0]!;
  return [p.errorCode, p.leaderEpoch, p.endOffset];
}

describe('leader epochs and topic ids', () => {
  it('starts a topic at epoch 0 and stamps it on produced batches', async () => {
    await create();
    expect((await describeTopic()).leaderEpoch).toBe(0);
    await produce(['a', 'b']);
    const fetched = await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 12, fetchBody(12, 0));
    const records = fetched.responses[0]!.partitions[0]!.records!;
    expect([...iterateBatches(records)].map((b) => b.header.partitionLeaderEpoch)).toEqual([0]);
    expect(await endOffsetFor(0)).toEqual([ErrorCode.NONE, 0, 2]);
  });

  it('bumps the epoch when the topic is created again, fences stale and future epochs, keeps it across a restart', async () => {
    const before = await describeTopic();
    const deleted = await client.request<deleteTopics.DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
      ...deleteTopics.defaultRequest(), topics: [{ ...deleteTopics.defaultDeleteTopicState(), name: null, topicId: before.topicId }],
    });
    expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    await create();
    const after = await describeTopic();
    expect(after.leaderEpoch).toBe(1);
    expect(after.topicId).not.toBe(before.topicId);
    await produce(['c']);

    const stale = (await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 16, fetchBody(16, 0, after.topicId))).responses[0]!.partitions[0]!;
    expect([stale.errorCode, stale.currentLeader.leaderEpoch, stale.records!.length]).toEqual([ErrorCode.FENCED_LEADER_EPOCH, 1, 0]);
    const future = (await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, fetchBody(11, 2))).responses[0]!.partitions[0]!;
    expect(future.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const current = (await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 13, fetchBody(13, 1, after.topicId))).responses[0]!;
    expect(current.topicId).toBe(after.topicId);
    expect(current.partitions[0]!.errorCode).toBe(ErrorCode.NONE);

    // A consumer at offset 2 of the old topic (epoch 0) learns that epoch ends at the new log's start.
    expect(await endOffsetFor(0)).toEqual([ErrorCode.NONE, 0, 0]);
    expect(await endOffsetFor(1)).toEqual([ErrorCode.NONE, 1, 1]);
    expect(await endOffsetFor(7)).toEqual([ErrorCode.NONE, -1, -1]);
    expect((await endOffsetFor(1, 0))[0]).toBe(ErrorCode.FENCED_LEADER_EPOCH);

    const dataDir = server.dataDir;
    client.close();
    expect(await server.stop()).toBe(0);
    server = await startServer(dataDir);
    client = await RawClient.connect(server.port);
    expect(await describeTopic()).toEqual(after);
  });

  it('answers an unknown topic id with UNKNOWN_TOPIC_ID (Fetch v13+)', async () => {
    const response = await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 13, fetchBody(13, -1, '0b6b9a06-3a5c-4b4b-9d55-8c5f1e1e4a11'));
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('lists offsets the v0 way (old-style offsets) and by max timestamp (v7), with the leader epoch (v4+)', async () => {
    const now = Date.now();
    await produce(['late', 'latest', 'early'], [now + 5000, now + 9000, now - 5000]);
    const list = async (version: number, timestamp: number, maxNumOffsets = 1): Promise<listOffsets.ListOffsetsPartitionResponse> => {
      const response = await client.request<listOffsets.ListOffsetsResponse>(ApiKey.ListOffsets, version, {
        ...listOffsets.defaultRequest(), replicaId: -1,
        topics: [{ name: TOPIC, partitions: [{ ...listOffsets.defaultListOffsetsPartition(), partitionIndex: 0, timestamp, maxNumOffsets }] }],
      });
      return response.topics[0]!.partitions[0]!;
    };
    expect((await list(0, -1)).oldStyleOffsets).toEqual([4]);
    expect((await list(0, -2)).oldStyleOffsets).toEqual([0]);
    expect((await list(0, -1, 0)).oldStyleOffsets).toEqual([]);
    const latest = await list(4, -1);
    expect([latest.offset, latest.leaderEpoch]).toEqual([4, 1]);
    const max = await list(7, -3);
    expect([max.offset, max.timestamp, max.leaderEpoch]).toEqual([2, now + 9000, 1]);
    expect([(await list(9, -5)).offset, (await list(8, -4)).offset]).toEqual([-1, 0]);
  });
});
