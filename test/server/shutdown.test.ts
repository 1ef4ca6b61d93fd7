/**
 * Process lifecycle of `node dist/src/server/main.js`: graceful SIGTERM (in-flight requests are
 * answered, exit 0, data kept), and a second server on a locked data dir failing cleanly.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as createTopicsApi from '../../src/protocol/apis/create-topics.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { RawClient } from './helpers/raw-client.js';
import { makeTempDir, startServer } from '../helpers/server-process.js';

function fetchBody(topic: string, fetchOffset: number, maxWaitMs: number): fetchApi.FetchRequest {
  return {
    ...fetchApi.defaultRequest(),
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  };
}

describe('server process lifecycle', () => {
  it('answers an in-flight long-poll on SIGTERM, exits 0, and keeps acknowledged records', async () => {
    const dataDir = makeTempDir('brook-shutdown-');
    const first = await startServer(dataDir);
    const client = await RawClient.connect(first.port);
    const created = await client.request<createTopicsApi.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
      ...createTopicsApi.defaultRequest(),
      topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: 'kept', numPartitions: 1, replicationFactor: 1 }],
    });
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const produced = await client.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, {
      ...produceApi.defaultRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'kept', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from('survives restart') }]) }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    // A long-poll past the end: still waiting when the signal arrives. The second before the signal
    // lets even a descheduled server read the frame (a frame not yet read when the drain starts is
    // dropped, rightly); the 3 s wait stays inside the 5 s drain grace.
    const correlationId = client.send(ApiKey.Fetch, 11, fetchBody('kept', 1, 3000));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const exit = first.stop();
    const answer = await client.response<fetchApi.FetchResponse>(ApiKey.Fetch, 11);
    expect(answer.correlationId).toBe(correlationId);
    expect(await exit).toBe(0);
    client.close();

    const second = await startServer(dataDir);
    const again = await RawClient.connect(second.port);
    const fetched = await again.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, fetchBody('kept', 0, 0));
    const records = fetched.responses[0]!.partitions[0]!.records!;
    const values = [...iterateBatches(records)].flatMap(({ pos, sizeBytes }) =>
      decodeRecords(records.subarray(pos, pos + sizeBytes)).map((r) => r.value!.toString()),
    );
    expect(values).toEqual(['survives restart']);
    again.close();
    expect(await second.stop()).toBe(0);
  });

  it('refuses to start on a data dir another server holds, with exit code 1 and a message', async () => {
    const holder = await startServer();
    try {
      const main = path.resolve(import.meta.dirname, '../../dist/src/server/main.js');
      const result = spawnSync(process.execPath, [main, '--port', '0', '--data-dir', holder.dataDir], { encoding: 'utf8', timeout: 30_000 });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^brook: /);
      expect(result.stdout).not.toMatch(/listening/);
    } finally {
      expect(await holder.stop()).toBe(0);
    }
  });
});
