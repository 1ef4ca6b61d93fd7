/**
 * DescribeCluster, DescribeLogDirs and DescribeProducers over a real socket against a real server:
 * the one broker as cluster and controller, the data dir as the one log dir with per-partition
 * sizes and the volume's bytes, and the idempotent producers a partition remembers.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as describeCluster from '../../src/protocol/apis/describe-cluster.js';
import * as logDirs from '../../src/protocol/apis/describe-log-dirs.js';
import * as producers from '../../src/protocol/apis/describe-producers.js';
import * as initProducerId from '../../src/protocol/apis/init-producer-id.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from './helpers/raw-client.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let client: RawClient;

beforeAll(async () => {
  server = await startServer();
  client = await RawClient.connect(server.port);
  const created = await client.request<createTopics.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
    ...createTopics.defaultRequest(), topics: [{ ...createTopics.defaultCreatableTopic(), name: 'cl', numPartitions: 2, replicationFactor: 1 }],
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
});

afterAll(async () => {
  client?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

async function produce(records: Buffer): Promise<void> {
  const response = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, {
    ...produceApi.defaultRequest(), acks: -1, timeoutMs: 5000, topicData: [{ name: 'cl', partitionData: [{ index: 0, records }] }],
  });
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

describe('cluster-level describe APIs', () => {
  it('DescribeCluster names the one broker, the controller and the cluster id of Metadata', async () => {
    const meta = await client.request<metadata.MetadataResponse>(ApiKey.Metadata, 12, { ...metadata.defaultRequest(), topics: [] });
    for (const version of [0, 1]) {
      const response = await client.request<describeCluster.DescribeClusterResponse>(ApiKey.DescribeCluster, version, { ...describeCluster.defaultRequest(), includeClusterAuthorizedOperations: true });
      expect([response.errorCode, response.clusterId, response.controllerId]).toEqual([ErrorCode.NONE, meta.clusterId, 0]);
      expect(response.brokers.map((b) => [b.brokerId, b.host, b.port])).toEqual([[0, '127.0.0.1', server.port]]);
      // No --acl: every cluster operation is allowed (CREATE 5, ALTER 7, DESCRIBE 8, ...).
      expect(response.clusterAuthorizedOperations & (1 << 8)).not.toBe(0);
    }
    const controllers = await client.request<describeCluster.DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { ...describeCluster.defaultRequest(), endpointType: 2 });
    expect(controllers.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  });

  it('DescribeLogDirs reports the data dir, every partition\'s size and the volume', async () => {
    await produce(encodeRecordBatch([{ value: Buffer.from('x'.repeat(1000)) }]));
    for (const version of [0, 2, 4]) {
      const response = await client.request<logDirs.DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, version, { ...logDirs.defaultRequest(), topics: null });
      const [dir] = response.results;
      expect(dir!.logDir).toBe(path.resolve(server.dataDir));
      const topic = dir!.topics.find((t) => t.name === 'cl')!;
      expect(topic.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
      expect(topic.partitions[0]!.partitionSize).toBeGreaterThan(1000);
      expect(topic.partitions[1]!.partitionSize).toBe(0);
      if (version >= 4) expect(dir!.totalBytes).toBeGreaterThanOrEqual(dir!.usableBytes);
      if (version >= 4) expect(dir!.usableBytes).toBeGreaterThan(0);
    }
    const named = await client.request<logDirs.DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, { topics: [{ topic: 'cl', partitions: [1, 7] }] });
    expect(named.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([['cl', [1]]]);
  });

  it('DescribeProducers lists the idempotent producer of a partition with its epoch and last sequence', async () => {
    const init = await client.request<initProducerId.InitProducerIdResponse>(ApiKey.InitProducerId, 4, { ...initProducerId.defaultRequest(), transactionalId: null, transactionTimeoutMs: 60000 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    await produce(encodeRecordBatch([1, 2, 3].map((i) => ({ value: Buffer.from(`r${i}`) })), { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0 }));
    const response = await client.request<producers.DescribeProducersResponse>(ApiKey.DescribeProducers, 0, {
      topics: [{ name: 'cl', partitionIndexes: [0, 1, 9] }, { name: 'missing', partitionIndexes: [0] }],
    });
    const [p0, p1, p9] = response.topics[0]!.partitions;
    expect(p0!.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence])).toEqual([[init.producerId, init.producerEpoch, 2]]);
    expect([p1!.errorCode, p1!.activeProducers]).toEqual([ErrorCode.NONE, []]);
    expect(p9!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(response.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
