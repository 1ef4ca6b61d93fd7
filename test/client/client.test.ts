/**
 * KafkaClient against a real `brook serve` process (compiled dist/; run tsc first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient, ConfigResourceType } from '../../src/client/client.js';
import { UnsupportedApiError } from '../../src/client/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import * as findCoordinator from '../../src/protocol/apis/find-coordinator.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import { startBrookServe, type RunningServe } from './brook-serve.js';

let serve: RunningServe;
let client: KafkaClient;

beforeAll(async () => {
  serve = await startBrookServe();
  client = await KafkaClient.connect(serve.address, { clientId: 'client-test' });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await serve?.stop();
});

function topicRequest(name: string, numPartitions: number) {
  return { name, numPartitions, replicationFactor: 1, assignments: [], configs: [] };
}

function produceTo(topic: string, partition: number, values: string[], acks = 1) {
  const records = encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })));
  return client.produce({ acks, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

async function fetchFrom(topic: string, partition: number, fetchOffset: number) {
  const response = await client.fetch({
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  });
  return response.responses[0]!.partitions[0]!;
}

describe('KafkaClient against brook serve', () => {
  it('negotiates versions the broker advertises', () => {
    expect(client.apiVersions.get(metadata.API_KEY)).toBeDefined();
    expect(client.supports(metadata)).toBe(true);
  });

  it('creates a topic, sees it in Metadata, and answers TOPIC_ALREADY_EXISTS as data on a second create', async () => {
    const created = await client.createTopics({ topics: [topicRequest('alpha', 3)], timeoutMs: 5_000 });
    expect(created.topics[0]).toMatchObject({ name: 'alpha', errorCode: ErrorCode.NONE });
    const again = await client.createTopics({ topics: [topicRequest('alpha', 3)], timeoutMs: 5_000 });
    expect(again.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const described = await client.metadata({ topics: [{ ...metadata.defaultMetadataRequestTopic(), name: 'alpha' }], allowAutoTopicCreation: false });
    expect(described.topics[0]!.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2]);
    expect(described.brokers).toHaveLength(1);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION as data for an unknown topic', async () => {
    const described = await client.metadata({ topics: [{ ...metadata.defaultMetadataRequestTopic(), name: 'nope' }], allowAutoTopicCreation: false });
    expect(described.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const produced = await produceTo('nope', 0, ['x']);
    expect(produced!.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('produces and fetches back the same records with broker-assigned offsets', async () => {
    await client.createTopics({ topics: [topicRequest('roundtrip', 1)], timeoutMs: 5_000 });
    const first = await produceTo('roundtrip', 0, ['a', 'b']);
    const second = await produceTo('roundtrip', 0, ['c']);
    expect(first!.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(second!.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2 });
    const data = await fetchFrom('roundtrip', 0, 0);
    expect(data.errorCode).toBe(ErrorCode.NONE);
    expect(data.highWatermark).toBe(3);
    const bytes = data.records!;
    const records = [...iterateBatches(bytes)].flatMap((b) => decodeRecords(bytes.subarray(b.pos, b.pos + b.sizeBytes)));
    expect(records.map((r) => [r.offset, r.value!.toString()])).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
  });

  it('sends acks=0 produce without a response; the records still arrive', async () => {
    await client.createTopics({ topics: [topicRequest('fire-and-forget', 1)], timeoutMs: 5_000 });
    expect(await produceTo('fire-and-forget', 0, ['x', 'y'], 0)).toBeNull();
    // Nothing acknowledges acks=0 (the broker may still be appending), so poll the end offset.
    const latestOffset = async () => (await client.listOffsets({
      replicaId: -1,
      topics: [{ name: 'fire-and-forget', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
    })).topics[0]!.partitions[0]!.offset;
    await expect.poll(latestOffset, { timeout: 10_000 }).toBe(2);
  });

  it('lists earliest and latest offsets', async () => {
    await client.createTopics({ topics: [topicRequest('offsets', 1)], timeoutMs: 5_000 });
    await produceTo('offsets', 0, ['1', '2', '3']);
    const ask = (timestamp: number) => client.listOffsets({
      replicaId: -1,
      topics: [{ name: 'offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    expect((await ask(-2)).topics[0]!.partitions[0]!.offset).toBe(0);
    expect((await ask(-1)).topics[0]!.partitions[0]!.offset).toBe(3);
  });

  it('answers pipelined requests of different APIs each with its own response', async () => {
    await client.createTopics({ topics: [topicRequest('pipelined', 1)], timeoutMs: 5_000 });
    const [a, m, b, f] = await Promise.all([
      produceTo('pipelined', 0, ['p1']),
      client.metadata({ topics: null }),
      produceTo('pipelined', 0, ['p2']),
      fetchFrom('pipelined', 0, 0),
    ]);
    expect(a!.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0);
    expect(b!.responses[0]!.partitionResponses[0]!.baseOffset).toBe(1);
    expect(m.topics.some((t) => t.name === 'pipelined')).toBe(true);
    expect(f.errorCode).toBe(ErrorCode.NONE);
  });

  it('describes and alters topic configs, and deletes records and topics', async () => {
    await client.createTopics({ topics: [topicRequest('configs', 1)], timeoutMs: 5_000 });
    const altered = await client.alterConfigs({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'configs', configs: [{ name: 'retention.ms', value: '60000' }] }],
    });
    expect(altered.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const described = await client.describeConfigs({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'configs', configurationKeys: ['retention.ms'] }],
    });
    expect(described.results[0]!.configs).toMatchObject([{ name: 'retention.ms', value: '60000' }]);

    await produceTo('configs', 0, ['1', '2', '3']);
    const deleted = await client.deleteRecords({ topics: [{ name: 'configs', partitions: [{ partitionIndex: 0, offset: 2 }] }], timeoutMs: 5_000 });
    expect(deleted.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 2 });

    const grown = await client.createPartitions({ topics: [{ name: 'configs', count: 2, assignments: null }], timeoutMs: 5_000 });
    expect(grown.results[0]!.errorCode).toBe(ErrorCode.NONE);
    const gone = await client.deleteTopics({ topicNames: ['configs'], timeoutMs: 5_000 });
    expect(gone.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const again = await client.deleteTopics({ topicNames: ['configs'], timeoutMs: 5_000 });
    expect(again.responses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('gets a producer id from InitProducerId', async () => {
    const response = await client.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(response.errorCode).toBe(ErrorCode.NONE);
    expect(response.producerId).toBeGreaterThanOrEqual(0);
  });

  it('finds the group coordinator when the broker speaks FindCoordinator, else says it does not', async () => {
    if (client.supports(findCoordinator)) {
      const response = await client.findCoordinator({ key: 'g1', keyType: 0 });
      expect(response.errorCode).toBe(ErrorCode.NONE);
      expect(response.port).toBe(Number(serve.address.split(':')[1]));
    } else {
      await expect(client.findCoordinator({ key: 'g1' })).rejects.toThrow(UnsupportedApiError);
    }
  });
});
