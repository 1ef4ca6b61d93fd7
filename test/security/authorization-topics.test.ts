/**
 * Topic- and cluster-level authorization of a real `brook serve --acl` process, driven by our own
 * KafkaClient logged in as users with different grants (see acl-fixture.ts for the table).
 * Tables list who asks, what, and the error code Kafka would answer; every table has rows that
 * pass, so a check that denies everything fails as surely as one that allows everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceType } from '../../src/client/client.js';
import * as alterConfigs from '../../src/protocol/apis/alter-configs.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as deleteRecords from '../../src/protocol/apis/delete-records.js';
import * as describeConfigs from '../../src/protocol/apis/describe-configs.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as incremental from '../../src/protocol/apis/incremental-alter-configs.js';
import * as listOffsets from '../../src/protocol/apis/list-offsets.js';
import * as metadataApi from '../../src/protocol/apis/metadata.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { CAF, NONE, TAF, startAclServe, type AclServe, type User } from './acl-fixture.js';

const { UNKNOWN_TOPIC_OR_PARTITION } = ErrorCode;
const TOPICS = { 'a-orders': 2, 'a-grow': 1, 'a-doomed': 1, 'b-logs': 1, 'c-sink': 1, 'z-secret': 1, 'pub-news': 1 };
const LISTED = ['a-orders', 'b-logs', 'c-sink', 'pub-news', 'z-secret'];

let acl: AclServe;

beforeAll(async () => {
  acl = await startAclServe(TOPICS);
}, 60_000);

afterAll(async () => {
  await acl?.stop();
});

async function metadataOf(user: User, names: string[] | null, allowAutoTopicCreation = false) {
  const response = await acl.as(user).metadata({ topics: names === null ? null : names.map((name) => ({ ...metadataApi.defaultMetadataRequestTopic(), name })), allowAutoTopicCreation });
  return response.topics;
}

async function exists(name: string): Promise<boolean> {
  const [topic] = await metadataOf('admin', [name]);
  return topic!.errorCode === NONE;
}

describe('Metadata under ACLs', () => {
  it.each([
    ['alice', 'a-orders', NONE],
    ['bob', 'a-orders', NONE],
    ['bob', 'b-logs', NONE],
    ['carol', 'c-sink', NONE],
    ['eve', 'pub-news', NONE],
    ['root', 'z-secret', NONE],
    ['admin', 'z-secret', NONE],
    ['eve', 'a-orders', TAF],
    ['bob', 'z-secret', TAF],
    ['carol', 'a-orders', TAF],
    // Not describable: denied even though it does not exist, so names do not leak.
    ['eve', 'z-nowhere', TAF],
    ['admin', 'z-nowhere', UNKNOWN_TOPIC_OR_PARTITION],
  ] as const)('answers %s asking for topic %s with error %i', async (user, name, errorCode) => {
    const [topic] = await metadataOf(user, [name]);
    expect(topic!.name).toBe(name);
    expect(topic!.errorCode).toBe(errorCode);
    expect(topic!.partitions.length).toBe(errorCode === NONE ? TOPICS[name as keyof typeof TOPICS] : 0);
  });

  it.each([
    ['alice', ['a-orders', 'pub-news']],
    ['bob', ['a-orders', 'b-logs', 'pub-news']],
    ['carol', ['c-sink', 'pub-news']],
    ['eve', ['pub-news']],
    ['root', LISTED],
    ['admin', LISTED],
  ] as const)('lists to %s only the topics it may describe', async (user, expected) => {
    const names = (await metadataOf(user, null)).map((topic) => topic.name ?? '').filter((name) => LISTED.includes(name));
    expect(names.sort()).toEqual([...expected].sort());
  });

  it.each([
    ['alice', 'a-auto-alice', NONE],
    ['admin', 'z-auto-admin', NONE],
    ['bob', 'a-auto-bob', TAF], // describe on a-*, but no create
    ['eve', 'pub-auto-eve', TAF],
    ['carol', 'c-auto-carol', TAF], // write does not imply create
  ] as const)('auto-creates %s\'s topic %s only with create (error %i)', async (user, name, errorCode) => {
    const [topic] = await metadataOf(user, [name], true);
    expect(topic!.errorCode).toBe(errorCode);
    expect(await exists(name)).toBe(errorCode === NONE);
  });
});

describe('topic admin APIs under ACLs', () => {
  it('creates only the topics a user may create, answering TOPIC_AUTHORIZATION_FAILED per topic', async () => {
    const rows: [User, string, number][] = [
      ['alice', 'a-new', NONE], ['alice', 'b-new-alice', TAF], ['bob', 'b-new-bob', TAF],
      ['carol', 'c-new-carol', TAF], ['eve', 'pub-new-eve', TAF], ['root', 'z-new-root', NONE],
    ];
    for (const [user, name, errorCode] of rows) {
      const response = await acl.as(user).createTopics({ topics: [{ ...createTopics.defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1 }] });
      expect([user, name, response.topics[0]!.errorCode]).toEqual([user, name, errorCode]);
      expect([name, await exists(name)]).toEqual([name, errorCode === NONE]);
    }
  });

  it('deletes a topic only for a user with delete on it', async () => {
    for (const user of ['bob', 'carol', 'eve'] as const) {
      const response = await acl.as(user).deleteTopics({ topicNames: ['a-doomed'] });
      expect([user, response.responses[0]!.errorCode]).toEqual([user, TAF]);
    }
    expect(await exists('a-doomed')).toBe(true);
    const response = await acl.as('alice').deleteTopics({ topicNames: ['a-doomed', 'z-secret'] });
    expect(response.responses.map((r) => [r.name, r.errorCode])).toEqual([['a-doomed', NONE], ['z-secret', TAF]]);
    expect(await exists('z-secret')).toBe(true);
  });

  it('adds partitions only for a user with alter on the topic', async () => {
    for (const user of ['bob', 'carol', 'eve'] as const) {
      const response = await acl.as(user).createPartitions({ topics: [{ name: 'a-grow', count: 2, assignments: null }] });
      expect([user, response.results[0]!.errorCode]).toEqual([user, TAF]);
    }
    expect((await metadataOf('admin', ['a-grow']))[0]!.partitions.length).toBe(1);
    const response = await acl.as('alice').createPartitions({ topics: [{ name: 'a-grow', count: 2, assignments: null }, { name: 'z-secret', count: 2, assignments: null }] });
    expect(response.results.map((r) => r.errorCode)).toEqual([NONE, TAF]);
    expect((await metadataOf('admin', ['a-grow']))[0]!.partitions.length).toBe(2);
    expect((await metadataOf('admin', ['z-secret']))[0]!.partitions.length).toBe(1);
  });

  it.each([
    ['bob', ConfigResourceType.TOPIC, 'a-orders', NONE],
    ['carol', ConfigResourceType.TOPIC, 'c-sink', NONE], // write implies describe
    ['eve', ConfigResourceType.TOPIC, 'a-orders', TAF],
    ['carol', ConfigResourceType.TOPIC, 'a-orders', TAF],
    ['root', ConfigResourceType.TOPIC, 'z-secret', NONE],
    ['alice', ConfigResourceType.BROKER, '0', NONE], // cluster describe
    ['admin', ConfigResourceType.BROKER, '0', NONE],
    ['bob', ConfigResourceType.BROKER, '0', CAF],
    ['eve', ConfigResourceType.BROKER, '', CAF],
  ] as const)('DescribeConfigs for %s of resource type %i %j answers error %i', async (user, resourceType, resourceName, errorCode) => {
    const response = await acl.as(user).describeConfigs({ resources: [{ ...describeConfigs.defaultDescribeConfigsResource(), resourceType, resourceName, configurationKeys: null }] });
    const [result] = response.results;
    expect(result!.errorCode).toBe(errorCode);
    if (errorCode === NONE) expect(result!.configs.length).toBeGreaterThan(0);
    else expect(result!.configs).toEqual([]);
  });

  async function retentionMsOf(topic: string): Promise<string | undefined> {
    const response = await acl.as('admin').describeConfigs({ resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] }] });
    return response.results[0]!.configs.find((c) => c.name === 'retention.ms')?.value ?? undefined;
  }

  it('AlterConfigs and IncrementalAlterConfigs change a topic only for a user with alter on it', async () => {
    const before = await retentionMsOf('a-grow');
    const legacy = (value: string) => ({ resources: [{ ...alterConfigs.defaultAlterConfigsResource(), resourceType: ConfigResourceType.TOPIC, resourceName: 'a-grow', configs: [{ name: 'retention.ms', value }] }] });
    const incrementalSet = (value: string) => ({ resources: [{ ...incremental.defaultAlterConfigsResource(), resourceType: ConfigResourceType.TOPIC, resourceName: 'a-grow', configs: [{ name: 'retention.ms', configOperation: 0, value }] }] });
    for (const user of ['bob', 'carol', 'eve'] as const) {
      expect([user, (await acl.as(user).alterConfigs(legacy('1000'))).responses[0]!.errorCode]).toEqual([user, TAF]);
      expect([user, (await acl.as(user).incrementalAlterConfigs(incrementalSet('2000'))).responses[0]!.errorCode]).toEqual([user, TAF]);
    }
    expect(await retentionMsOf('a-grow')).toBe(before);
    expect((await acl.as('alice').alterConfigs(legacy('3000'))).responses[0]!.errorCode).toBe(NONE);
    expect(await retentionMsOf('a-grow')).toBe('3000');
    expect((await acl.as('alice').incrementalAlterConfigs(incrementalSet('4000'))).responses[0]!.errorCode).toBe(NONE);
    expect(await retentionMsOf('a-grow')).toBe('4000');
  });

  it('DeleteRecords needs delete on the topic; ListOffsets needs describe', async () => {
    const records = (user: User) => acl.as(user).deleteRecords({
      topics: [{ ...deleteRecords.defaultDeleteRecordsTopic(), name: 'a-orders', partitions: [{ partitionIndex: 0, offset: 0 }] }],
    });
    expect((await records('bob')).topics[0]!.partitions[0]!.errorCode).toBe(TAF);
    expect((await records('alice')).topics[0]!.partitions[0]!.errorCode).toBe(NONE);
    const offsets = (user: User) => acl.as(user).listOffsets({
      topics: [{ ...listOffsets.defaultListOffsetsTopic(), name: 'a-orders', partitions: [{ ...listOffsets.defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1 }] }],
    });
    expect((await offsets('eve')).topics[0]!.partitions[0]!.errorCode).toBe(TAF);
    expect((await offsets('bob')).topics[0]!.partitions[0]!.errorCode).toBe(NONE);
  });
});

describe('data plane under ACLs', () => {
  it('Fetch answers TOPIC_AUTHORIZATION_FAILED for each partition of a topic the user may not read', async () => {
    const topic = (name: string, partitionCount: number) => ({
      ...fetchApi.defaultFetchTopic(),
      topic: name,
      partitions: Array.from({ length: partitionCount }, (_, partition) => ({ ...fetchApi.defaultFetchPartition(), partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 })),
    });
    const fetchAs = async (user: User) => {
      const response = await acl.as(user).fetch({ maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [topic('a-orders', 2), topic('b-logs', 1), topic('z-secret', 1)] });
      return response.responses.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partitionIndex}:${p.errorCode}`));
    };
    // bob may describe a-orders but not read it.
    expect(await fetchAs('bob')).toEqual([`a-orders-0:${TAF}`, `a-orders-1:${TAF}`, `b-logs-0:${NONE}`, `z-secret-0:${TAF}`]);
    expect(await fetchAs('alice')).toEqual([`a-orders-0:${NONE}`, `a-orders-1:${NONE}`, `b-logs-0:${TAF}`, `z-secret-0:${TAF}`]);
    expect(await fetchAs('eve')).toEqual([`a-orders-0:${TAF}`, `a-orders-1:${TAF}`, `b-logs-0:${TAF}`, `z-secret-0:${TAF}`]);
    expect(await fetchAs('root')).toEqual([`a-orders-0:${NONE}`, `a-orders-1:${NONE}`, `b-logs-0:${NONE}`, `z-secret-0:${NONE}`]);
  });

  it('Fetch of only unreadable topics answers at once instead of long-polling for maxWaitMs', async () => {
    // Kafka answers a fetch with no authorized partition without waiting. The request timeout is
    // far below maxWaitMs, so a broker that long-polls first makes this call time out.
    const response = await acl.as('eve').fetch(
      { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20, topics: [{ ...fetchApi.defaultFetchTopic(), topic: 'z-secret', partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }] }] },
      { timeoutMs: 10_000 },
    );
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(TAF);
  });

  it('Produce appends only to topics the user may write, answering TOPIC_AUTHORIZATION_FAILED per partition', async () => {
    const produceAs = async (user: User, topics: string[]) => {
      const response = await acl.as(user).produce({
        acks: -1,
        timeoutMs: 10_000,
        topicData: topics.map((name) => ({ name, partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from(`${user} was here`) }]) }] })),
      });
      return response!.responses.flatMap((t) => t.partitionResponses.map((p) => `${t.name}:${p.errorCode}`));
    };
    const endOffset = async (name: string) => {
      const response = await acl.as('admin').listOffsets({
        topics: [{ ...listOffsets.defaultListOffsetsTopic(), name, partitions: [{ ...listOffsets.defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1 }] }],
      });
      return response.topics[0]!.partitions[0]!.offset;
    };
    expect(await produceAs('bob', ['a-orders', 'b-logs'])).toEqual([`a-orders:${TAF}`, `b-logs:${TAF}`]); // describe and read only
    expect(await produceAs('eve', ['pub-news'])).toEqual([`pub-news:${TAF}`]);
    expect(await produceAs('carol', ['c-sink', 'a-orders'])).toEqual([`c-sink:${NONE}`, `a-orders:${TAF}`]);
    expect(await endOffset('c-sink')).toBe(1);
    expect(await endOffset('b-logs')).toBe(0);
    expect(await endOffset('pub-news')).toBe(0);
  });

  it.each([
    ['alice', NONE],
    ['carol', NONE], // write on c-* only
    ['root', NONE],
    ['admin', NONE],
    ['bob', CAF], // describe and read, no write anywhere
    ['eve', CAF],
  ] as const)('InitProducerId for %s (needs write on some topic) answers error %i', async (user, errorCode) => {
    const response = await acl.as(user).initProducerId({ transactionalId: null, transactionTimeoutMs: -1 });
    expect(response.errorCode).toBe(errorCode);
    if (errorCode === NONE) expect(response.producerId).toBeGreaterThanOrEqual(0);
    else expect(response.producerId).toBe(-1);
  });
});
