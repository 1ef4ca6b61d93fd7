/**
 * Topic and broker configs over the wire, against a real `brook serve` process: produces whose
 * batch headers lie (INVALID_RECORD, nothing written), min.insync.replicas with acks=-1 and 1,
 * timestamp limits, DescribeConfigs as kafkajs's admin sees it, and broker-level configs set with
 * AlterConfigs / IncrementalAlterConfigs that survive a restart. Needs dist/ (npx tsc).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import * as alterConfigsApi from '../../src/protocol/apis/alter-configs.js';
import * as createTopicsApi from '../../src/protocol/apis/create-topics.js';
import * as describeConfigsApi from '../../src/protocol/apis/describe-configs.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as incrementalApi from '../../src/protocol/apis/incremental-alter-configs.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Compression } from '../../src/protocol/compression.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch, iterateBatches, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { RawClient } from './helpers/raw-client.js';
import { makeTempDir, startServer, type ServerProcess } from '../helpers/server-process.js';
import { withHeader } from '../storage/lying-batches.js';

let server: ServerProcess;
let raw: RawClient;
let kafka: Kafka;
let admin: Admin;
const dataDir = makeTempDir('brook-configs-');

async function startAll(): Promise<void> {
  server = await startServer(dataDir);
  raw = await RawClient.connect(server.port);
  kafka = new Kafka({ clientId: 'configs-test', brokers: [server.address], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  admin = kafka.admin();
  await admin.connect();
}

async function stopAll(): Promise<void> {
  raw?.close();
  await admin?.disconnect();
  expect(await server?.stop()).toBe(0);
}

beforeAll(startAll);
afterAll(stopAll);

function records(count: number, timestamp = Date.now()): ProducerRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp }));
}

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<number> {
  const response = await raw.request<createTopicsApi.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopicsApi.defaultRequest(),
    topics: [{ ...createTopicsApi.defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
  });
  return response.topics[0]!.errorCode;
}

async function produce(topic: string, batches: Buffer, acks = -1): Promise<produceApi.PartitionProduceResponse> {
  const response = await raw.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, {
    ...produceApi.defaultRequest(), acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batches }] }],
  });
  return response.responses[0]!.partitionResponses[0]!;
}

async function storedCount(topic: string): Promise<number> {
  const response = await raw.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, {
    ...fetchApi.defaultRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  const partition = response.responses[0]!.partitions[0]!;
  expect(partition.errorCode).toBe(ErrorCode.NONE);
  let count = 0;
  for (const { header } of iterateBatches(partition.records ?? Buffer.alloc(0))) count += header.recordsCount;
  expect(count).toBe(partition.highWatermark);
  return count;
}

describe('batch headers are not trusted', () => {
  it('refuses recordsCount 1 / lastOffsetDelta 0 over three records, and a count larger than the records, writing nothing', async () => {
    expect(await createTopic('lies')).toBe(ErrorCode.NONE);
    for (const compression of [Compression.none, Compression.zstd]) {
      const honest = encodeRecordBatch(records(3), { compression });
      for (const fields of [{ recordsCount: 1, lastOffsetDelta: 0 }, { recordsCount: 5, lastOffsetDelta: 4 }, { recordsCount: 2, lastOffsetDelta: 2 }]) {
        const answer = await produce('lies', withHeader(honest, fields));
        expect(answer.errorCode, `${JSON.stringify(fields)} codec ${compression}`).toBe(ErrorCode.INVALID_RECORD);
        expect(answer.baseOffset).toBe(-1);
      }
    }
    expect(await storedCount('lies')).toBe(0);
    expect((await produce('lies', encodeRecordBatch(records(3)))).errorCode).toBe(ErrorCode.NONE);
    expect(await storedCount('lies')).toBe(3);
  });
});

describe('min.insync.replicas', () => {
  it('answers NOT_ENOUGH_REPLICAS to acks=-1 above one replica, writes nothing, and still takes acks=1', async () => {
    expect(await createTopic('isr', { 'min.insync.replicas': '2' })).toBe(ErrorCode.NONE);
    const refused = await produce('isr', encodeRecordBatch(records(2)), -1);
    expect(refused.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await storedCount('isr')).toBe(0);
    expect((await produce('isr', encodeRecordBatch(records(2)), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(await storedCount('isr')).toBe(2);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'isr', configEntries: [{ name: 'min.insync.replicas', value: '1' }] }] });
    expect((await produce('isr', encodeRecordBatch(records(1)), -1)).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('message.timestamp limits', () => {
  it('refuses records older than message.timestamp.before.max.ms with INVALID_TIMESTAMP, compressed or not', async () => {
    expect(await createTopic('recent', { 'message.timestamp.before.max.ms': '3600000' })).toBe(ErrorCode.NONE);
    for (const compression of [Compression.none, Compression.lz4]) {
      const stale = await produce('recent', encodeRecordBatch(records(2, Date.now() - 7_200_000), { compression }));
      expect(stale.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    }
    expect((await produce('recent', encodeRecordBatch(records(2, Date.now() + 7_200_000)))).errorCode).toBe(ErrorCode.NONE); // no after limit
    expect(await storedCount('recent')).toBe(2);
  });
});

describe('message.downconversion.enable', () => {
  async function fetchAt(version: number, topic: string): Promise<fetchApi.PartitionData> {
    const response = await raw.request<fetchApi.FetchResponse>(ApiKey.Fetch, version, {
      ...fetchApi.defaultRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20,
      topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    return response.responses[0]!.partitions[0]!;
  }

  it('false refuses v0-v3 fetches of records with UNSUPPORTED_VERSION; v4+ and an empty log are served', async () => {
    expect(await createTopic('no-downconvert', { 'message.downconversion.enable': 'false' })).toBe(ErrorCode.NONE);
    expect(await createTopic('downconvert')).toBe(ErrorCode.NONE);
    for (const version of [0, 3]) expect((await fetchAt(version, 'no-downconvert')).errorCode).toBe(ErrorCode.NONE); // nothing to convert
    for (const topic of ['no-downconvert', 'downconvert']) expect((await produce(topic, encodeRecordBatch(records(3)))).errorCode).toBe(ErrorCode.NONE);
    for (const version of [0, 1, 2, 3]) {
      const refused = await fetchAt(version, 'no-downconvert');
      expect(refused.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(refused.records?.length).toBe(0);
      const converted = await fetchAt(version, 'downconvert');
      expect(converted.errorCode).toBe(ErrorCode.NONE);
      expect(converted.records![16]).toBe(version <= 1 ? 0 : 1); // message set magic byte
    }
    const modern = await fetchAt(4, 'no-downconvert');
    expect(modern.errorCode).toBe(ErrorCode.NONE);
    expect([...iterateBatches(modern.records!)].map((b) => b.header.recordsCount)).toEqual([3]);
  });
});

describe('DescribeConfigs', () => {
  it('reports all 36 topic configs with sources and synonyms to kafkajs', async () => {
    await admin.createTopics({ topics: [{ topic: 'described', configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'compression.type', value: 'lz4' }] }] });
    const result = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 2, name: 'described' }] });
    const entries = new Map(result.resources[0]!.configEntries.map((e) => [e.configName, e]));
    expect(entries.size).toBe(36);
    expect(entries.get('retention.ms')).toMatchObject({ configValue: '3600000', readOnly: false, isSensitive: false, configSource: 1,
      configSynonyms: [{ configName: 'retention.ms', configValue: '3600000', configSource: 1 }] });
    expect(entries.get('segment.bytes')).toMatchObject({ configValue: '1073741824', configSource: 5,
      configSynonyms: [{ configName: 'log.segment.bytes', configValue: '1073741824', configSource: 5 }] });
    expect(entries.get('compression.type')!.configValue).toBe('lz4');
    expect(entries.get('min.insync.replicas')!.configValue).toBe('1');
  });

  it('answers the configs asked for, in the order asked, with v3 types', async () => {
    const response = await raw.request<describeConfigsApi.DescribeConfigsResponse>(ApiKey.DescribeConfigs, 1, {
      ...describeConfigsApi.defaultRequest(), includeSynonyms: false,
      resources: [{ resourceType: 2, resourceName: 'described', configurationKeys: ['segment.ms', 'cleanup.policy', 'nope'] }],
    });
    expect(response.results[0]!.configs.map((c) => [c.name, c.value, c.synonyms.length])).toEqual([['segment.ms', '604800000', 0], ['cleanup.policy', 'delete', 0]]);
  });

  it('refuses bad topic configs with INVALID_CONFIG naming the config, creating and changing nothing', async () => {
    await expect(admin.createTopics({ topics: [{ topic: 'never', configEntries: [{ name: 'compression.type', value: 'brotli' }] }] }))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ code: ErrorCode.INVALID_CONFIG, topic: 'never' })] });
    expect(await admin.listTopics()).not.toContain('never');
    const alter = (name: string, value: string) => admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'described', configEntries: [{ name, value }] }] });
    await expect(alter('segment.index.bytes', '3')).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const answer = await raw.request<alterConfigsApi.AlterConfigsResponse>(ApiKey.AlterConfigs, 1, {
      ...alterConfigsApi.defaultRequest(), resources: [{ resourceType: 2, resourceName: 'described', configs: [{ name: 'segment.index.bytes', value: '3' }] }],
    });
    expect(answer.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Invalid value 3 for configuration segment.index.bytes: Value must be at least 4' });
    await expect(alter('max.compaction.lag.ms', '0')).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'described', configNames: ['retention.ms'] }] });
    expect(after.resources[0]!.configEntries[0]!.configValue).toBe('3600000');
  });
});

describe('broker configs', () => {
  it('sets topic defaults on the broker resource, refuses read-only ones, and keeps them across a restart', async () => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '0', configEntries: [{ name: 'log.retention.ms', value: '7200000' }] }] });
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '0', configEntries: [{ name: 'num.partitions', value: '3' }] }] }))
      .rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const otherBroker = await raw.request<alterConfigsApi.AlterConfigsResponse>(ApiKey.AlterConfigs, 1, {
      ...alterConfigsApi.defaultRequest(), resources: [{ resourceType: 4, resourceName: '7', configs: [{ name: 'log.retention.ms', value: '1' }] }],
    });
    expect(otherBroker.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 0 or empty string, but received 7' });
    // The cluster default, with IncrementalAlterConfigs v0 (SET).
    const incremental = await raw.request<incrementalApi.IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 0, {
      ...incrementalApi.defaultRequest(),
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.cleaner.min.compaction.lag.ms', configOperation: 0, value: '5000' }] }],
    });
    expect(incremental.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    await createTopic('defaulted');

    const check = async () => {
      const topic = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 2, name: 'defaulted', configNames: ['retention.ms', 'min.compaction.lag.ms'] }] });
      const entries = new Map(topic.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries.get('retention.ms')).toMatchObject({ configValue: '7200000', configSource: 2 });
      expect(entries.get('min.compaction.lag.ms')).toMatchObject({ configValue: '5000', configSource: 3 });
      expect(entries.get('retention.ms')!.configSynonyms[0]).toMatchObject({ configName: 'log.retention.ms', configValue: '7200000', configSource: 2 });
      // A topic's own override still wins.
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'described', configNames: ['retention.ms'] }] });
      expect(described.resources[0]!.configEntries[0]!.configValue).toBe('3600000');
      // kafkajs will not name the cluster-default resource (""): ask raw.
      const brokerWide = await raw.request<describeConfigsApi.DescribeConfigsResponse>(ApiKey.DescribeConfigs, 1, {
        ...describeConfigsApi.defaultRequest(), includeSynonyms: true, resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }],
      });
      expect(brokerWide.results[0]!.configs.map((e) => [e.name, e.value, e.configSource, e.synonyms.length])).toEqual([['log.cleaner.min.compaction.lag.ms', '5000', 3, 1]]);
    };
    await check();
    await stopAll();
    await startAll();
    await check();
  });
});
