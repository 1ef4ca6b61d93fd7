/**
 * DeleteTopics over a real socket: the deletable topics of one request go together (one metadata
 * record), each other topic is answered with its own code: unknown, named twice (INVALID_REQUEST,
 * as Kafka's controller), an unknown topic id. Needs dist/ (tsc).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as deleteTopics from '../../src/protocol/apis/delete-topics.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import { RawClient } from './helpers/raw-client.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

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

async function create(names: string[], partitions: number): Promise<void> {
  const response = await client.request<createTopics.CreateTopicsResponse>(ApiKey.CreateTopics, 4, {
    ...createTopics.defaultRequest(),
    topics: names.map((name) => ({ ...createTopics.defaultCreatableTopic(), name, numPartitions: partitions, replicationFactor: 1 })),
  });
  expect(response.topics.map((t) => t.errorCode)).toEqual(names.map(() => ErrorCode.NONE));
}

async function topicNames(): Promise<string[]> {
  const response = await client.request<metadata.MetadataResponse>(ApiKey.Metadata, 12, { ...metadata.defaultRequest(), topics: null });
  return response.topics.map((t) => t.name!).filter((name) => !name.startsWith('__')).sort();
}

describe('DeleteTopics', () => {
  it('v1: deletes the deletable topics of one request together and answers the others per topic', async () => {
    await create(['d-a', 'd-b', 'd-c', 'd-kept'], 30);
    const response = await client.request<deleteTopics.DeleteTopicsResponse>(ApiKey.DeleteTopics, 1, {
      ...deleteTopics.defaultRequest(), topicNames: ['d-a', 'd-missing', 'd-b', 'd-c', 'd-c'], timeoutMs: 30_000,
    });
    expect(response.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['d-a', ErrorCode.NONE], ['d-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['d-b', ErrorCode.NONE],
      ['d-c', ErrorCode.INVALID_REQUEST], ['d-c', ErrorCode.INVALID_REQUEST],
    ]);
    expect(await topicNames()).toEqual(['d-c', 'd-kept']);
  });

  it('v6: by name and by topic id in one request; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    await create(['e-a', 'e-b'], 3);
    const described = await client.request<metadata.MetadataResponse>(ApiKey.Metadata, 12, {
      ...metadata.defaultRequest(), topics: [{ ...metadata.defaultMetadataRequestTopic(), name: 'e-b' }],
    });
    const idOfB = described.topics[0]!.topicId;
    const unknownId = '01234567-89ab-cdef-0123-456789abcdef';
    const response = await client.request<deleteTopics.DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
      ...deleteTopics.defaultRequest(),
      topics: [
        { ...deleteTopics.defaultDeleteTopicState(), name: 'e-a' },
        { ...deleteTopics.defaultDeleteTopicState(), name: null, topicId: idOfB },
        { ...deleteTopics.defaultDeleteTopicState(), name: null, topicId: unknownId },
      ],
      timeoutMs: 30_000,
    });
    expect(response.responses.map((r) => [r.name, r.topicId, r.errorCode])).toEqual([
      ['e-a', expect.any(String), ErrorCode.NONE], ['e-b', idOfB, ErrorCode.NONE], [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    expect(await topicNames()).not.toContain('e-a');
    expect(await topicNames()).not.toContain('e-b');
  });
});
