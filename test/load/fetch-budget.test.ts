/**
 * Regression for "fetch responses to slow consumers were unbounded": every fetch read up to
 * fetch.max.bytes into memory and held it until the consumer's socket took it, so N slow consumers
 * held N x 50 MiB. The server-wide budget (FETCH_BYTES_IN_FLIGHT_MAX, here shrunk to 8 MiB) must
 * cap what is held, past it each fetch still gets one whole batch, and the budget must come back to
 * zero when responses are read or their connections are cut. The records are read into the
 * server's pooled buffers (ReadBufferPool), which must all come back, and never be reused while a
 * response still holds them: many consumers fetching at once each check every batch's CRC and bytes.
 * In-process server (workers from dist/: run `npx tsc -p tsconfig.json` first).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { BrookServer } from '../../src/server/server.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.js';
import { checkBatch, decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { KafkaClient } from '../../src/client/client.js';
import { makeTempDir } from '../helpers/server-process.js';
import { eventually } from './helpers.js';

const MiB = 1024 * 1024;
const BUDGET_BYTES = 8 * MiB;
const BATCH_COUNT = 40;
const RECORD_BYTES = 256 * 1024;
const SLOW_CONSUMERS = 16;

let broker: Broker;
let server: BrookServer;
let batchBytesMax = 0;

beforeAll(async () => {
  const dataDir = makeTempDir('brook-fetch-budget-');
  broker = await Broker.open({ dataDir });
  server = await new BrookServer(broker, { dataDir, port: 0, fetchBytesInFlightMax: BUDGET_BYTES, log: () => {} }).listen();
  await broker.createTopic('backlog', { partitions: 1 });
  for (let i = 0; i < BATCH_COUNT; i++) {
    const records = [0, 1, 2].map((j) => ({ value: Buffer.alloc(RECORD_BYTES, (i * 3 + j) & 0xff) }));
    const batch = encodeRecordBatch(records);
    batchBytesMax = Math.max(batchBytesMax, batch.length);
    const result = await broker.produce('backlog', 0, batch);
    expect(result.errorCode).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  await broker?.close();
});

/** A consumer that sends one 50 MiB fetch from offset 0 and does not read until told to. */
async function slowConsumer(port = server.port): Promise<{ socket: net.Socket; readResponse(): Promise<Buffer> }> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  socket.pause();
  const body: fetchApi.FetchRequest = {
    ...fetchApi.defaultRequest(),
    maxBytes: 50 * MiB,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic: 'backlog', partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 50 * MiB }] }],
  };
  for (const chunk of encodeRequestFrame(ApiKey.Fetch, 11, 7, 'slow', body)) socket.write(chunk);
  const readResponse = () =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let got = 0;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        got += chunk.length;
        const all = Buffer.concat(chunks);
        if (got >= 4 && got >= 4 + all.readInt32BE(0)) resolve(all.subarray(4, 4 + all.readInt32BE(0)));
      });
      socket.once('close', () => reject(new Error('closed before the response')));
      socket.resume();
    });
  return { socket, readResponse };
}

/**
 * Every batch of a fetched record set is whole, passes its CRC, and holds the bytes written: record
 * j of batch i was filled with (i * 3 + j) & 0xff and has offset i * 3 + j. Returns the next offset.
 */
function checkRecords(records: Buffer, firstOffset: number): number {
  let offset = firstOffset;
  for (const { pos, sizeBytes } of iterateBatches(records)) {
    const batch = records.subarray(pos, pos + sizeBytes);
    expect(checkBatch(batch, 0)).toEqual({ sizeBytes });
    for (const record of decodeRecords(batch)) {
      expect(record.offset).toBe(offset);
      expect(record.value!.every((byte) => byte === (offset & 0xff))).toBe(true);
      offset++;
    }
  }
  return offset;
}

/** Reads the whole backlog through `client` in 1 MiB fetches, checking every batch. */
async function readBacklogChecked(client: KafkaClient): Promise<void> {
  let offset = 0;
  while (offset < BATCH_COUNT * 3) {
    const response = await client.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 2 * 1024 * 1024,
      topics: [{ ...fetchApi.defaultFetchTopic(), topic: 'backlog', partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }] }],
    });
    const records = response.responses[0]!.partitions[0]!.records!;
    expect(records.length).toBeGreaterThan(0);
    offset = checkRecords(records, offset);
  }
}

describe('server-wide fetch byte budget', () => {
  it('holds at most the budget plus one batch per fetch for consumers that do not read', async () => {
    const consumers = await Promise.all(Array.from({ length: SLOW_CONSUMERS }, () => slowConsumer()));
    await eventually(() => server.fetchBudget.inUseBytes > 0);
    const boundBytes = BUDGET_BYTES + SLOW_CONSUMERS * batchBytesMax;
    const backlogBytes = BATCH_COUNT * batchBytesMax;
    console.log(`fetch budget: peak ${(server.fetchBudget.peakBytes / MiB).toFixed(1)} MiB, bound ${(boundBytes / MiB).toFixed(1)} MiB (unbounded would be up to ${((SLOW_CONSUMERS * backlogBytes) / MiB).toFixed(0)} MiB)`);
    // While those responses wait in their sockets, another client reads everything through the
    // same pool: a block given back before its response was written would be overwritten now.
    const fast = await KafkaClient.connect(`127.0.0.1:${server.port}`, { clientId: 'fast' });
    try {
      await readBacklogChecked(fast);
    } finally {
      await fast.close();
    }
    const responses = await Promise.all(consumers.map((c) => c.readResponse()));
    expect(server.fetchBudget.peakBytes).toBeLessThanOrEqual(boundBytes);
    for (const frame of responses) {
      const { correlationId, body } = decodeResponseFrame(frame, ApiKey.Fetch, 11) as { correlationId: number; body: fetchApi.FetchResponse };
      expect(correlationId).toBe(7);
      const partition = body.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(0);
      // Every consumer made progress: at least one whole batch, even over budget, intact.
      expect(partition.records!.length).toBeGreaterThanOrEqual(batchBytesMax - 64);
      checkRecords(partition.records!, 0);
    }
    await eventually(() => server.fetchBudget.inUseBytes === 0);
    await eventually(() => server.fetchBuffers.lentBytes === 0, 20_000, 'every pooled fetch buffer back');
    for (const c of consumers) c.socket.destroy();
  }, 60_000);

  it('gives the budget back when consumers disconnect without reading their responses', async () => {
    const consumers = await Promise.all(Array.from({ length: SLOW_CONSUMERS }, () => slowConsumer()));
    await eventually(() => server.fetchBudget.inUseBytes > 0);
    for (const c of consumers) c.socket.destroy();
    await eventually(() => server.fetchBudget.inUseBytes === 0);
    expect(server.fetchBudget.inUseBytes).toBe(0);
    await eventually(() => server.fetchBuffers.lentBytes === 0, 20_000, 'every pooled fetch buffer back');
  }, 60_000);

  it('never hands a pooled buffer to another fetch while a response still holds it', async () => {
    const CONSUMERS = 8;
    const ROUNDS = 3;
    const clients = await Promise.all(Array.from({ length: CONSUMERS }, () => KafkaClient.connect(`127.0.0.1:${server.port}`, { clientId: 'pool-check' })));
    try {
      await Promise.all(
        clients.map(async (client) => {
          for (let round = 0; round < ROUNDS; round++) await readBacklogChecked(client);
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
    await eventually(() => server.fetchBuffers.lentBytes === 0, 20_000, 'every pooled fetch buffer back');
    expect(server.fetchBuffers.idleBytes).toBeGreaterThan(0); // the pool was used, not bypassed
  }, 120_000);
});

describe('pooled fetch buffers and responses larger than the socket buffers', () => {
  it('keeps a response\'s buffer out of the pool until the socket has taken all of it', async () => {
    const dataDir = makeTempDir('brook-fetch-pool-');
    const bigBroker = await Broker.open({ dataDir });
    const bigServer = await new BrookServer(bigBroker, { dataDir, port: 0, log: () => {} }).listen();
    try {
      await bigBroker.createTopic('backlog', { partitions: 1 });
      for (let i = 0; i < 60; i++) {
        const batch = encodeRecordBatch([0, 1, 2].map((j) => ({ value: Buffer.alloc(RECORD_BYTES, (i * 3 + j) & 0xff) })));
        expect((await bigBroker.produce('backlog', 0, batch)).errorCode).toBe(0);
      }
      // ~45 MiB in one response: most of it waits in user space while the consumer does not read.
      const slow = await slowConsumer(bigServer.port);
      await eventually(() => bigServer.fetchBuffers.lentBytes > 40 * MiB, 20_000, 'the slow response read into a pooled block');
      // A fetch of nearly the same size from one batch later would reuse that block if it were back
      // in the pool, overwriting the unsent part of the slow response with shifted bytes.
      // Three in a row: the slow fetch's read, started first, is done by the second at the latest.
      const other = await KafkaClient.connect(`127.0.0.1:${bigServer.port}`, { clientId: 'other' });
      try {
        for (let round = 0; round < 3; round++) {
          const response = await other.fetch({
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 50 * MiB,
            topics: [{ ...fetchApi.defaultFetchTopic(), topic: 'backlog', partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: 3, partitionMaxBytes: 50 * MiB }] }],
          });
          checkRecords(response.responses[0]!.partitions[0]!.records!, 3);
        }
      } finally {
        await other.close();
      }
      const frame = await slow.readResponse();
      const { body } = decodeResponseFrame(frame, ApiKey.Fetch, 11) as { body: fetchApi.FetchResponse };
      expect(checkRecords(body.responses[0]!.partitions[0]!.records!, 0)).toBe(180);
      slow.socket.destroy();
      await eventually(() => bigServer.fetchBuffers.lentBytes === 0, 20_000, 'every pooled fetch buffer back');
    } finally {
      await bigServer.close();
      await bigBroker.close();
    }
  }, 120_000);
});
