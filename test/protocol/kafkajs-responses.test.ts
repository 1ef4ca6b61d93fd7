/** Our response encoders, read back by kafkajs 2.2.4's own response decoders. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/protocol/writer.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import * as apiVersions from '../../src/protocol/apis/api-versions.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as produce from '../../src/protocol/apis/produce.js';
import * as fetch from '../../src/protocol/apis/fetch.js';
import * as joinGroup from '../../src/protocol/apis/join-group.js';
import * as initProducerId from '../../src/protocol/apis/init-producer-id.js';
import * as offsetFetch from '../../src/protocol/apis/offset-fetch.js';

const require = createRequire(import.meta.url);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function kafkajsDecode(dir: string, version: number, bytes: Buffer): Promise<any> {
  return require(`kafkajs/src/protocol/requests/${dir}/v${version}/response.js`).decode(bytes);
}

function encoded(encode: (w: Writer) => void): Buffer {
  const writer = new Writer(64);
  encode(writer);
  return Buffer.concat(writer.toChunks());
}

describe('kafkajs decodes our responses', () => {
  for (const v of range(0, 2)) {
    it(`ApiVersions v${v}: kafkajs reads the advertised ranges`, async () => {
      const body = { ...apiVersions.defaultResponse(), apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }] };
      const decoded = await kafkajsDecode('apiVersions', v, encoded((w) => apiVersions.encodeResponse(w, v, body)));
      expect(decoded.errorCode).toBe(0);
      expect(decoded.apiVersions).toEqual([{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    });
  }

  for (const v of range(1, 4)) {
    it(`Metadata v${v}: kafkajs reads brokers, controller and partitions`, async () => {
      const partition = { ...metadata.defaultMetadataResponsePartition(), partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] };
      const body = { ...metadata.defaultResponse(), controllerId: 1, clusterId: v >= 2 ? 'brook' : null,
        brokers: [{ ...metadata.defaultMetadataResponseBroker(), nodeId: 1, host: 'localhost', port: 9092 }],
        topics: [{ ...metadata.defaultMetadataResponseTopic(), name: 'orders', partitions: [partition] }] };
      const decoded = await kafkajsDecode('metadata', v, encoded((w) => metadata.encodeResponse(w, v, body)));
      expect(decoded.brokers).toMatchObject([{ nodeId: 1, host: 'localhost', port: 9092 }]);
      expect(decoded.controllerId).toBe(1);
      expect(decoded.topicMetadata).toMatchObject([{ topic: 'orders', topicErrorCode: 0,
        partitionMetadata: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] }]);
    });
  }

  for (const v of range(3, 7)) {
    it(`Produce v${v}: kafkajs reads the assigned base offset`, async () => {
      const partition = { ...produce.defaultPartitionProduceResponse(), index: 2, baseOffset: 1234 };
      const body = { ...produce.defaultResponse(), responses: [{ ...produce.defaultTopicProduceResponse(), name: 'orders', partitionResponses: [partition] }] };
      const decoded = await kafkajsDecode('produce', v, encoded((w) => produce.encodeResponse(w, v, body)));
      expect(decoded.topics).toMatchObject([{ topicName: 'orders', partitions: [{ partition: 2, errorCode: 0, baseOffset: '1234' }] }]);
    });
  }

  for (const v of range(4, 11)) {
    it(`Fetch v${v}: kafkajs reads records carried as a by-reference chunk`, async () => {
      const value = Buffer.alloc(6000, 0x61);
      const records = encodeRecordBatch([{ key: Buffer.from('k'), value }], { baseOffset: 40, baseTimestamp: 1_700_000_000_000 });
      const partition = { ...fetch.defaultPartitionData(), partitionIndex: 0, highWatermark: 41, lastStableOffset: 41,
        logStartOffset: v >= 5 ? 0 : -1, abortedTransactions: [], records };
      const body = { ...fetch.defaultResponse(), responses: [{ ...fetch.defaultFetchableTopicResponse(), topic: 'orders', partitions: [partition] }] };
      const writer = new Writer(64);
      fetch.encodeResponse(writer, v, body);
      expect(writer.toChunks()).toContain(records);
      const decoded = await kafkajsDecode('fetch', v, writer.toBuffer());
      const got = decoded.responses[0].partitions[0];
      expect(got).toMatchObject({ partition: 0, errorCode: 0, highWatermark: '41' });
      expect(got.messages).toHaveLength(1);
      expect(got.messages[0]).toMatchObject({ offset: '40', key: Buffer.from('k'), value });
    });
  }

  for (const v of range(0, 5)) {
    it(`JoinGroup v${v}: kafkajs reads the leader and members`, async () => {
      const body = { ...joinGroup.defaultResponse(), generationId: 7, protocolName: 'RoundRobinAssigner', leader: 'm-1', memberId: 'm-1',
        members: [{ ...joinGroup.defaultJoinGroupResponseMember(), memberId: 'm-1', metadata: Buffer.from([1, 2]) }] };
      const decoded = await kafkajsDecode('joinGroup', v, encoded((w) => joinGroup.encodeResponse(w, v, body)));
      expect(decoded).toMatchObject({ errorCode: 0, generationId: 7, groupProtocol: 'RoundRobinAssigner', leaderId: 'm-1', memberId: 'm-1' });
      expect(decoded.members[0]).toMatchObject({ memberId: 'm-1', memberMetadata: Buffer.from([1, 2]) });
    });
  }

  for (const v of range(0, 1)) {
    it(`InitProducerId v${v}: kafkajs reads the producer id and epoch`, async () => {
      const body = { ...initProducerId.defaultResponse(), producerId: 4000, producerEpoch: 2 };
      const decoded = await kafkajsDecode('initProducerId', v, encoded((w) => initProducerId.encodeResponse(w, v, body)));
      expect(decoded).toMatchObject({ errorCode: 0, producerId: '4000', producerEpoch: 2 });
    });
  }

  for (const v of range(1, 4)) {
    it(`OffsetFetch v${v}: kafkajs reads committed offsets`, async () => {
      const partition = { ...offsetFetch.defaultOffsetFetchResponsePartition(), partitionIndex: 3, committedOffset: 99, metadata: 'm' };
      const body = { ...offsetFetch.defaultResponse(), topics: [{ ...offsetFetch.defaultOffsetFetchResponseTopic(), name: 'orders', partitions: [partition] }] };
      const decoded = await kafkajsDecode('offsetFetch', v, encoded((w) => offsetFetch.encodeResponse(w, v, body)));
      expect(decoded.responses).toMatchObject([{ topic: 'orders', partitions: [{ partition: 3, offset: '99', metadata: 'm', errorCode: 0 }] }]);
    });
  }
});
