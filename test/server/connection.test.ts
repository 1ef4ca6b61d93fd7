/**
 * Connection's ordering and flow control over a real loopback socket, with a dispatcher whose
 * answers the test releases by hand (the only way to hold requests "in flight" on purpose).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CONNECTION, Connection, type FrameDispatcher, type FrameOutcome } from '../../src/server/connection.js';

interface Pending {
  correlationId: number;
  apiKey: number;
  resolve: (outcome: FrameOutcome) => void;
}

class HeldDispatcher implements FrameDispatcher {
  readonly pending: Pending[] = [];
  readonly started: number[] = [];
  constructor(private readonly exclusiveKeys: number[] = []) {}
  isExclusive(frame: Buffer): boolean {
    return this.exclusiveKeys.includes(frame.readInt16BE(0));
  }
  dispatch(frame: Buffer): Promise<FrameOutcome> {
    const correlationId = frame.readInt32BE(4);
    this.started.push(correlationId);
    return new Promise((resolve) => this.pending.push({ correlationId, apiKey: frame.readInt16BE(0), resolve }));
  }
  answer(correlationId: number): void {
    const index = this.pending.findIndex((p) => p.correlationId === correlationId);
    const [entry] = this.pending.splice(index, 1);
    entry!.resolve([responseFrame(correlationId)]);
  }
}

function requestFrame(apiKey: number, correlationId: number, payloadBytes = 0): Buffer {
  const frame = Buffer.alloc(4 + 8 + payloadBytes);
  frame.writeInt32BE(8 + payloadBytes, 0);
  frame.writeInt16BE(apiKey, 4);
  frame.writeInt32BE(correlationId, 8);
  return frame;
}

function responseFrame(correlationId: number): Buffer {
  const frame = Buffer.alloc(8);
  frame.writeInt32BE(4, 0);
  frame.writeInt32BE(correlationId, 4);
  return frame;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function setUp(dispatcher: FrameDispatcher, limits = { frameBytesMax: 1 << 20, inflightBytesMax: 1 << 20, inflightRequestsMax: 100 }) {
  const connections: Connection[] = [];
  const server = net.createServer((socket) => connections.push(new Connection(socket, dispatcher, limits)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const received: number[] = [];
  let buffered = Buffer.alloc(0);
  let closed = false;
  client.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 8) {
      received.push(buffered.readInt32BE(4));
      buffered = buffered.subarray(8);
    }
  });
  client.on('close', () => {
    closed = true;
  });
  client.on('error', () => {});
  cleanups.push(() => {
    client.destroy();
    server.close();
    for (const connection of connections) connection.destroy();
  });
  return { client, received, isClosed: () => closed };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('Connection', () => {
  it('writes responses in request order when they complete out of order', async () => {
    const dispatcher = new HeldDispatcher();
    const { client, received } = await setUp(dispatcher);
    client.write(Buffer.concat([1, 2, 3].map((id) => requestFrame(3, id))));
    await until(() => dispatcher.started.length === 3, 'three dispatches');
    dispatcher.answer(3);
    dispatcher.answer(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual([]);
    dispatcher.answer(1);
    await until(() => received.length === 3, 'three responses');
    expect(received).toEqual([1, 2, 3]);
  });

  it('runs an exclusive request only after earlier ones settle, and later ones after it', async () => {
    const dispatcher = new HeldDispatcher([19]);
    const { client, received } = await setUp(dispatcher);
    client.write(Buffer.concat([requestFrame(0, 1), requestFrame(19, 2), requestFrame(0, 3)]));
    await until(() => dispatcher.started.length === 1, 'the first dispatch');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dispatcher.started).toEqual([1]);
    dispatcher.answer(1);
    await until(() => dispatcher.started.length === 2, 'the exclusive dispatch');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dispatcher.started).toEqual([1, 2]);
    dispatcher.answer(2);
    await until(() => dispatcher.started.length === 3, 'the last dispatch');
    dispatcher.answer(3);
    await until(() => received.length === 3, 'three responses');
    expect(received).toEqual([1, 2, 3]);
  });

  it('stops reading the socket while too many request bytes are unanswered, and resumes after', async () => {
    const dispatcher = new HeldDispatcher();
    const { client } = await setUp(dispatcher, { frameBytesMax: 1 << 20, inflightBytesMax: 64 * 1024, inflightRequestsMax: 10_000 });
    // 64 frames of 16 KiB: four times the bound.
    const frames = Array.from({ length: 64 }, (_, i) => requestFrame(0, i + 1, 16 * 1024));
    client.write(Buffer.concat(frames));
    await until(() => dispatcher.started.length > 0, 'some dispatches');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Paused: what was dispatched stays near the bound (one socket read may overshoot it).
    expect(dispatcher.started.length).toBeLessThan(40);
    while (dispatcher.started.length < 64) {
      const next = dispatcher.pending[0];
      if (next === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      dispatcher.answer(next.correlationId);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(dispatcher.started).toEqual(frames.map((_, i) => i + 1));
  });

  it('writes earlier responses, then closes, when a request asks to close the connection', async () => {
    const dispatcher = new HeldDispatcher();
    const { client, received, isClosed } = await setUp(dispatcher);
    client.write(Buffer.concat([requestFrame(3, 1), requestFrame(3, 2)]));
    await until(() => dispatcher.started.length === 2, 'two dispatches');
    dispatcher.pending.find((p) => p.correlationId === 2)!.resolve(CLOSE_CONNECTION);
    dispatcher.answer(1);
    await until(isClosed, 'the close');
    expect(received).toEqual([1]);
  });

  it('answers requests that were pending when the client half-closed its side (regression: the answers were lost)', async () => {
    const dispatcher = new HeldDispatcher();
    const { client, received, isClosed } = await setUp(dispatcher);
    client.write(Buffer.concat([requestFrame(3, 1), requestFrame(3, 2)]));
    client.end();
    await until(() => dispatcher.started.length === 2, 'two dispatches');
    // Let the server see the FIN before the answers exist.
    await new Promise((resolve) => setTimeout(resolve, 50));
    dispatcher.answer(2);
    dispatcher.answer(1);
    await until(isClosed, 'the close after the answers');
    expect(received).toEqual([1, 2]);
  });

  it('closes the connection instead of hanging later requests when writing an exclusive answer throws', async () => {
    // Regression: the exclusive request's task rejected, which left the connection's gate
    // rejected; the next request waited on it forever (and the rejection went unhandled).
    const dispatcher = new HeldDispatcher([19]);
    const { client, received, isClosed } = await setUp(dispatcher);
    client.write(Buffer.concat([requestFrame(19, 1), requestFrame(0, 2)]));
    await until(() => dispatcher.started.length === 1, 'the exclusive dispatch');
    const [exclusive] = dispatcher.pending.splice(0, 1);
    exclusive!.resolve([42 as unknown as Buffer]); // socket.write throws on a number
    await until(isClosed, 'the connection to close');
    expect(received).toEqual([]);
  });

  it('closes the connection on a size prefix above the frame limit', async () => {
    const dispatcher = new HeldDispatcher();
    const { client, isClosed } = await setUp(dispatcher, { frameBytesMax: 1024, inflightBytesMax: 1 << 20, inflightRequestsMax: 100 });
    client.write(requestFrame(0, 1, 2048).subarray(0, 100));
    await until(isClosed, 'the close');
    expect(dispatcher.started).toEqual([]);
  });
});
