/**
 * The server over a real socket with exact frames: version negotiation, in-order pipelining,
 * acks=0, idempotent duplicates, transactional refusals, and the error paths of bad frames.
 * Needs `npx tsc -p tsconfig.json` first (the server process runs dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as apiVersionsApi from '../../src/protocol/apis/api-versions.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as initProducerIdApi from '../../src/protocol/apis/init-producer-id.js';
import * as metadataApi from '../../src/protocol/apis/metadata.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import * as createTopicsApi from '../../src/protocol/apis/create-topics.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { RawClient } from './helpers/raw-client.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { legacyMessageV1 } from '../engine/helpers.js';

let server: ServerProcess;
const clients: RawClient[] = [];

async function connect(): Promise<RawClient> {
  const client = await RawClient.connect(server.port);
  clients.push(client);
  return client;
}

function produceBody(topic: string, records: Buffer, acks = 1, transactionalId: string | null = null): produceApi.ProduceRequest {
  return {
    ...produceApi.defaultRequest(),
    transactionalId,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

function fetchBody(topic: string, fetchOffset: number): fetchApi.FetchRequest {
  return {
    ...fetchApi.defaultRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  };
}

async function createTopic(client: RawClient, name: string, partitions = 1): Promise<void> {
  const response = await client.request<createTopicsApi.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopicsApi.defaultRequest(),
    topics: [{ ...createTopicsApi.defaultCreatableTopic(), name, numPartitions: partitions, replicationFactor: 1 }],
  });
  expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

async function fetchValues(client: RawClient, topic: string): Promise<string[]> {
  const response = await client.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, fetchBody(topic, 0));
  const partition = response.responses[0]!.partitions[0]!;
  expect(partition.errorCode).toBe(ErrorCode.NONE);
  const values: string[] = [];
  for (const { pos, sizeBytes } of iterateBatches(partition.records ?? Buffer.alloc(0))) {
    for (const record of decodeRecords(partition.records!.subarray(pos, pos + sizeBytes))) values.push(record.value!.toString());
  }
  return values;
}

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  for (const client of clients) client.close();
  const code = await server?.stop();
  expect(code).toBe(0);
});

describe('version negotiation', () => {
  it('answers ApiVersions v0-v4 with the same advertised ranges (Kafka 3.9\'s; version-sweep.test.ts checks them all)', async () => {
    const client = await connect();
    for (let version = 0; version <= 4; version++) {
      const body = await client.request<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, version, {
        ...apiVersionsApi.defaultRequest(),
        clientSoftwareName: 'raw-test',
        clientSoftwareVersion: '1.0',
      });
      expect(body.errorCode).toBe(ErrorCode.NONE);
      const byKey = new Map(body.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
      expect(byKey.get(ApiKey.Produce)).toEqual([0, 11]);
      expect(byKey.get(ApiKey.Fetch)).toEqual([0, 17]);
      expect(byKey.get(ApiKey.Metadata)).toEqual([0, 12]);
      expect(byKey.get(ApiKey.ApiVersions)).toEqual([0, 4]);
      expect(byKey.get(ApiKey.FindCoordinator)).toEqual([0, 6]);
    }
  });

  it('answers ApiVersions v3+ with a malformed client software name with INVALID_REQUEST, as Kafka (KIP-511)', async () => {
    const client = await connect();
    const body = await client.request<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
      ...apiVersionsApi.defaultRequest(), clientSoftwareName: 'bad name!', clientSoftwareVersion: '1.0',
    });
    expect(body.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('answers an unknown ApiVersions version with error 35 and a v0 body, keeping the connection', async () => {
    const client = await connect();
    for (const version of [5, 99]) {
      // Build the frame by hand: no codec covers these versions.
      const frame = Buffer.alloc(4 + 8 + 2);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(ApiKey.ApiVersions, 4);
      frame.writeInt16BE(version, 6);
      frame.writeInt32BE(77 + version, 8);
      frame.writeInt16BE(-1, 12);
      client.writeRaw(frame);
      const response = (await client.nextFrame())!;
      expect(response.readInt32BE(0)).toBe(77 + version);
      const body = apiVersionsApi.decodeResponse(new Reader(response, 4), 0);
      expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(body.apiKeys).toEqual([{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 }]);
    }
    const after = await client.request<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, 2, apiVersionsApi.defaultRequest());
    expect(after.errorCode).toBe(ErrorCode.NONE);
  });

  it('closes the connection on an unknown api key or an unsupported version, after answering what came before (as Kafka)', async () => {
    for (const [apiKey, version] of [[999, 0], [ApiKey.Metadata, 13], [ApiKey.JoinGroup, 10], [ApiKey.Produce, -1]] as const) {
      const client = await connect();
      const before = client.frame(ApiKey.ApiVersions, 2, apiVersionsApi.defaultRequest(), 4241);
      const frame = Buffer.alloc(4 + 10);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(apiKey, 4);
      frame.writeInt16BE(version, 6);
      frame.writeInt32BE(4242, 8);
      frame.writeInt16BE(-1, 12);
      client.writeRaw(Buffer.concat([before, frame]));
      const answer = (await client.nextFrame())!;
      expect(answer.readInt32BE(0)).toBe(4241);
      // Nothing for the bad frame: no body would be decodable as that API's response.
      expect(await client.nextFrame()).toBeNull();
    }
  });
});

describe('undecodable request bodies', () => {
  it('answers a body that does not decode with INVALID_REQUEST and keeps serving', async () => {
    const client = await connect();
    // FindCoordinator v0 (its response starts with the error code): a key string claiming 100 bytes, holding 2.
    const frame = Buffer.alloc(4 + 10 + 4);
    frame.writeInt32BE(14, 0);
    frame.writeInt16BE(ApiKey.FindCoordinator, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(4343, 8);
    frame.writeInt16BE(-1, 12);
    frame.writeInt16BE(100, 14);
    frame.write('ab', 16);
    client.writeRaw(frame);
    const response = (await client.nextFrame())!;
    expect([response.readInt32BE(0), response.readInt16BE(4)]).toEqual([4343, ErrorCode.INVALID_REQUEST]);
    await createTopic(client, 'after-invalid'); // the connection still serves
  });
});

describe('pipelining and produce semantics', () => {
  it('answers pipelined requests in request order', async () => {
    const client = await connect();
    await createTopic(client, 'pipelined');
    const frames = [
      client.frame(ApiKey.Fetch, 11, { ...fetchBody('pipelined', 0), maxWaitMs: 300, minBytes: 1 }, 1),
      client.frame(ApiKey.Metadata, 4, { ...metadataApi.defaultRequest(), topics: null }, 2),
      client.frame(ApiKey.ApiVersions, 2, apiVersionsApi.defaultRequest(), 3),
      client.frame(ApiKey.CreateTopics, 3, { ...createTopicsApi.defaultRequest(), topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: 'pipelined-2', numPartitions: 1, replicationFactor: 1 }] }, 4),
      client.frame(ApiKey.Produce, 7, produceBody('pipelined-2', encodeRecordBatch([{ value: Buffer.from('after create') }])), 5),
    ];
    client.writeRaw(Buffer.concat(frames));
    const order: number[] = [];
    for (let i = 0; i < frames.length; i++) order.push((await client.nextFrame())!.readInt32BE(0));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(await fetchValues(client, 'pipelined-2')).toEqual(['after create']);
  });

  it('writes an acks=0 produce without answering it', async () => {
    const client = await connect();
    await createTopic(client, 'acks-zero');
    client.send(ApiKey.Produce, 7, produceBody('acks-zero', encodeRecordBatch([{ value: Buffer.from('fire and forget') }]), 0));
    const correlationId = client.send(ApiKey.ApiVersions, 2, apiVersionsApi.defaultRequest());
    const next = await client.response<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, 2);
    expect(next.correlationId).toBe(correlationId);
    expect(await fetchValues(client, 'acks-zero')).toEqual(['fire and forget']);
  });

  it('refuses acks other than 0, 1 and -1 with INVALID_REQUIRED_ACKS and writes nothing', async () => {
    const client = await connect();
    await createTopic(client, 'bad-acks');
    const response = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, produceBody('bad-acks', encodeRecordBatch([{ value: Buffer.from('x') }]), 2));
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    expect(await fetchValues(client, 'bad-acks')).toEqual([]);
  });

  it('refuses transactional producers and transactional batches', async () => {
    const client = await connect();
    await createTopic(client, 'txn');
    const init = await client.request<initProducerIdApi.InitProducerIdResponse>(ApiKey.InitProducerId, 1, {
      ...initProducerIdApi.defaultRequest(),
      transactionalId: 'my-txn',
      transactionTimeoutMs: 60000,
    });
    expect(init.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const viaId = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, produceBody('txn', encodeRecordBatch([{ value: Buffer.from('a') }]), 1, 'my-txn'));
    expect(viaId.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const batch = encodeRecordBatch([{ value: Buffer.from('b') }], { transactional: true, producerId: 5, producerEpoch: 0, baseSequence: 0 });
    const viaBatch = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, produceBody('txn', batch));
    expect(viaBatch.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(await fetchValues(client, 'txn')).toEqual([]);
  });

  it('stores v2 batches sent at Produce v0-v2, up-converts old message sets there, refuses them from v3', async () => {
    const client = await connect();
    await createTopic(client, 'old-versions');
    for (const version of [0, 2]) {
      const response = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, version, produceBody('old-versions', encodeRecordBatch([{ value: Buffer.from(`v${version}`) }])));
      expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    // A real magic-1 message (Kafka 0.10's format): its timestamp lies where a v2 batch keeps its
    // attributes, and this one's has the "transactional" bit set there; it is old, not transactional.
    const oldFormat = legacyMessageV1(Buffer.from('magic 1'), 0x0000_018b_1000_0000);
    expect(oldFormat.readInt16BE(21) & 0x10).not.toBe(0);
    const refused = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, produceBody('old-versions', oldFormat));
    expect(refused.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    // An old entry after a v2 batch in the same records is refused the same way, nothing stored.
    const mixed = Buffer.concat([encodeRecordBatch([{ value: Buffer.from('v2 first') }]), oldFormat]);
    const refusedMixed = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 2, produceBody('old-versions', mixed));
    expect(refusedMixed.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    const converted = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 2, produceBody('old-versions', oldFormat));
    expect(converted.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await fetchValues(client, 'old-versions')).toEqual(['v0', 'v2', 'magic 1']);
  });

  it('does not write a retried idempotent batch twice', async () => {
    const client = await connect();
    await createTopic(client, 'idempotent');
    const init = await client.request<initProducerIdApi.InitProducerIdResponse>(ApiKey.InitProducerId, 1, {
      ...initProducerIdApi.defaultRequest(),
      transactionalId: null,
      transactionTimeoutMs: 60000,
    });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    expect(init.producerId).toBeGreaterThanOrEqual(0);
    const batch = encodeRecordBatch([{ value: Buffer.from('once') }, { value: Buffer.from('only') }], {
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      baseSequence: 0,
    });
    const frame = client.frame(ApiKey.Produce, 7, produceBody('idempotent', batch), 9001);
    client.writeRaw(frame);
    const first = produceApi.decodeResponse(new Reader((await client.nextFrame())!, 4), 7);
    client.writeRaw(frame);
    const second = produceApi.decodeResponse(new Reader((await client.nextFrame())!, 4), 7);
    const firstPartition = first.responses[0]!.partitionResponses[0]!;
    const secondPartition = second.responses[0]!.partitionResponses[0]!;
    expect(firstPartition.errorCode).toBe(ErrorCode.NONE);
    // Kafka answers a duplicate either as success with the original offset or DUPLICATE_SEQUENCE_NUMBER.
    expect([ErrorCode.NONE, ErrorCode.DUPLICATE_SEQUENCE_NUMBER]).toContain(secondPartition.errorCode);
    expect(await fetchValues(client, 'idempotent')).toEqual(['once', 'only']);
  });

  it('gives distinct producer ids to successive InitProducerId requests', async () => {
    const client = await connect();
    const ids = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const init = await client.request<initProducerIdApi.InitProducerIdResponse>(ApiKey.InitProducerId, 0, {
        ...initProducerIdApi.defaultRequest(),
        transactionalId: null,
        transactionTimeoutMs: 1000,
      });
      ids.add(init.producerId);
    }
    expect(ids.size).toBe(5);
  });
});

