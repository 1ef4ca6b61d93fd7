import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerConnection, parseBrokerAddress } from '../../src/client/connection.js';
import {
  BrokerProtocolError,
  BrokerUnreachableError,
  ConnectionClosedError,
  InvalidBrokerAddressError,
  RequestTimeoutError,
  UnsupportedApiError,
} from '../../src/client/errors.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeResponseFrame } from '../../src/protocol/headers.js';
import * as apiVersions from '../../src/protocol/apis/api-versions.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as produce from '../../src/protocol/apis/produce.js';
import { apiVersionsAnswer, startFakeBroker, type FakeBroker } from './fake-broker.js';

const BASIC_RANGES: Record<number, [number, number]> = { [ApiKey.ApiVersions]: [0, 3], [ApiKey.Metadata]: [0, 9], [ApiKey.Produce]: [3, 7] };

function metadataAnswer(correlationId: number, version: number): Buffer[] {
  return encodeResponseFrame(ApiKey.Metadata, version, correlationId, {
    ...metadata.defaultResponse(),
    brokers: [{ nodeId: 7, host: 'fake', port: 1, rack: null }],
  });
}

let fake: FakeBroker | null = null;
let connection: BrokerConnection | null = null;
afterEach(async () => {
  connection?.destroy();
  connection = null;
  await fake?.close();
  fake = null;
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('parseBrokerAddress', () => {
  it('accepts host:port and [ipv6]:port and rejects anything else', () => {
    expect(parseBrokerAddress('localhost:9092')).toEqual({ host: 'localhost', port: 9092 });
    expect(parseBrokerAddress('[::1]:19092')).toEqual({ host: '::1', port: 19092 });
    for (const bad of ['localhost', 'localhost:0', 'h:70000', ':9092', 'a:b']) {
      expect(() => parseBrokerAddress(bad)).toThrow(InvalidBrokerAddressError);
    }
  });
});

describe('BrokerConnection', () => {
  it('reports a refused connection as "cannot reach broker host:port"', async () => {
    const port = await freePort();
    const attempt = BrokerConnection.connect(`127.0.0.1:${port}`);
    await expect(attempt).rejects.toThrow(BrokerUnreachableError);
    await expect(attempt).rejects.toThrow(`cannot reach broker 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('negotiates min(our max, broker max) per API and sends that version', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      return metadataAnswer(header.correlationId, header.requestApiVersion);
    });
    connection = await BrokerConnection.connect(fake.address);
    expect(connection.versionFor(metadata)).toBe(4); // broker max 9 > ours (src/client/versions.ts)
    const response = await connection.send(metadata, metadata.defaultRequest());
    expect(response.brokers[0]!.nodeId).toBe(7);
    expect(fake.received.map((h) => [h.requestApiKey, h.requestApiVersion])).toEqual([
      [ApiKey.ApiVersions, 3],
      [ApiKey.Metadata, 4],
    ]);
  });

  it('falls back to ApiVersions v0 when the broker answers v3 with UNSUPPORTED_VERSION', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey !== ApiKey.ApiVersions) return null;
      if (header.requestApiVersion > 2) {
        // A pre-KIP-511 broker: error 35 in a v0-shaped body.
        return encodeResponseFrame(ApiKey.ApiVersions, 0, header.correlationId, { ...apiVersions.defaultResponse(), errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] });
      }
      return apiVersionsAnswer(header, { [ApiKey.ApiVersions]: [0, 2], [ApiKey.Metadata]: [0, 2] });
    });
    connection = await BrokerConnection.connect(fake.address);
    expect(fake.received.map((h) => h.requestApiVersion)).toEqual([3, 0]);
    expect(connection.versionFor(metadata)).toBe(2);
  });

  it('fails an API the broker does not advertise with a clear error, without sending it', async () => {
    fake = await startFakeBroker((header) => apiVersionsAnswer(header, BASIC_RANGES));
    connection = await BrokerConnection.connect(fake.address);
    const attempt = connection.send(createTopics, createTopics.defaultRequest());
    await expect(attempt).rejects.toThrow(UnsupportedApiError);
    await expect(attempt).rejects.toThrow(`broker ${fake.address} does not support CreateTopics`);
    expect(fake.received).toHaveLength(1);
  });

  it('refuses an API whose broker range lies wholly below ours', async () => {
    fake = await startFakeBroker((header) => apiVersionsAnswer(header, { ...BASIC_RANGES, [ApiKey.Metadata]: [0, 0] }));
    connection = await BrokerConnection.connect(fake.address);
    expect(() => connection!.versionFor(metadata)).not.toThrow(); // codec speaks v0
    expect(connection.versionFor(metadata)).toBe(0);
    const codec = { ...metadata, CODEC_MIN_VERSION: 1 };
    expect(() => connection!.versionFor(codec)).toThrow(/speaks Metadata v0-v0/);
  });

  it('times out a request the broker accepts but never answers, naming the broker', async () => {
    fake = await startFakeBroker((header) => (header.requestApiKey === ApiKey.ApiVersions ? apiVersionsAnswer(header, BASIC_RANGES) : null));
    connection = await BrokerConnection.connect(fake.address, { requestTimeoutMs: 150 });
    const attempt = connection.send(metadata, metadata.defaultRequest());
    await expect(attempt).rejects.toThrow(RequestTimeoutError);
    await expect(attempt).rejects.toThrow(`Metadata request to broker ${fake.address} timed out after 150 ms`);
  });

  it('times out the connect when the broker never answers ApiVersions', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      await expect(BrokerConnection.connect(`127.0.0.1:${port}`, { connectTimeoutMs: 150 })).rejects.toThrow(/ApiVersions request to broker .* timed out/);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('drops the late answer of a timed-out request and keeps later responses in line', async () => {
    const held: number[] = [];
    fake = await startFakeBroker((header, _body, socket) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      if (held.length === 0) {
        held.push(header.correlationId);
        return null; // answered later, together with the next one
      }
      for (const id of held.splice(0)) for (const chunk of metadataAnswer(id, header.requestApiVersion)) socket.write(chunk);
      return metadataAnswer(header.correlationId, header.requestApiVersion);
    });
    connection = await BrokerConnection.connect(fake.address, { requestTimeoutMs: 100 });
    await expect(connection.send(metadata, metadata.defaultRequest())).rejects.toThrow(RequestTimeoutError);
    const second = await connection.send(metadata, metadata.defaultRequest(), { timeoutMs: 5_000 });
    expect(second.brokers[0]!.nodeId).toBe(7);
  });

  it('matches pipelined requests to in-order responses', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      return encodeResponseFrame(ApiKey.Metadata, header.requestApiVersion, header.correlationId, {
        ...metadata.defaultResponse(),
        controllerId: header.correlationId,
      });
    });
    connection = await BrokerConnection.connect(fake.address);
    const responses = await Promise.all(Array.from({ length: 20 }, () => connection!.send(metadata, metadata.defaultRequest())));
    const sentIds = fake.received.slice(1).map((h) => h.correlationId);
    expect(responses.map((r) => r.controllerId)).toEqual(sentIds);
  });

  it('fails every pending request and closes when a response carries an unexpected correlation id', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      return metadataAnswer(header.correlationId + 1000, header.requestApiVersion);
    });
    connection = await BrokerConnection.connect(fake.address);
    await expect(connection.send(metadata, metadata.defaultRequest())).rejects.toThrow(BrokerProtocolError);
    await expect(connection.send(metadata, metadata.defaultRequest())).rejects.toThrow(BrokerProtocolError);
  });

  it('refuses a response frame larger than its frame limit before buffering it', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(10_000);
      return prefix;
    });
    connection = await BrokerConnection.connect(fake.address, { frameBytesMax: 4096 });
    await expect(connection.send(metadata, metadata.defaultRequest())).rejects.toThrow(/response frame of 10000 bytes/);
  });

  it('sends acks=0 produce without waiting for a response, and the next response still matches', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      if (header.requestApiKey === ApiKey.Produce) return null;
      return metadataAnswer(header.correlationId, header.requestApiVersion);
    });
    connection = await BrokerConnection.connect(fake.address, { requestTimeoutMs: 2_000 });
    await connection.sendWithoutResponse(produce, { ...produce.defaultRequest(), acks: 0 });
    const response = await connection.send(metadata, metadata.defaultRequest());
    expect(response.brokers[0]!.nodeId).toBe(7);
    expect(fake.received.map((h) => h.requestApiKey)).toEqual([ApiKey.ApiVersions, ApiKey.Produce, ApiKey.Metadata]);
  });

  it('rejects in-flight requests when the broker drops the connection, naming it', async () => {
    fake = await startFakeBroker((header, _body, socket) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      socket.destroy();
      return null;
    });
    connection = await BrokerConnection.connect(fake.address);
    const attempt = connection.send(metadata, metadata.defaultRequest());
    await expect(attempt).rejects.toThrow(ConnectionClosedError);
    await expect(attempt).rejects.toThrow(`connection to broker ${fake.address} closed`);
  });

  it('close() lets in-flight requests finish, then refuses new ones', async () => {
    fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, BASIC_RANGES);
      return metadataAnswer(header.correlationId, header.requestApiVersion);
    });
    connection = await BrokerConnection.connect(fake.address);
    const inFlight = connection.send(metadata, metadata.defaultRequest());
    const closed = connection.close();
    await expect(inFlight).resolves.toMatchObject({ brokers: [{ nodeId: 7 }] });
    await closed;
    await expect(connection.send(metadata, metadata.defaultRequest())).rejects.toThrow(/was closed by the client/);
  });
});
