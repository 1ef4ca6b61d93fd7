/**
 * A scriptable broker for connection tests: a plain net.Server that cuts request frames and lets
 * each test decide what to answer (or to answer nothing). Not a test file itself.
 */
import net from 'node:net';
import { decodeRequestFrame, encodeResponseFrame, type RequestHeader } from '../../src/protocol/headers.js';
import { FrameSplitter } from '../../src/protocol/frame-splitter.js';
import * as apiVersions from '../../src/protocol/apis/api-versions.js';

/** What to send back for one request: frames (as chunks), or nothing. */
export type FakeAnswer = Buffer[] | Buffer | null;
export type FakeHandler = (header: RequestHeader, body: unknown, socket: net.Socket) => FakeAnswer;

export interface FakeBroker {
  address: string;
  /** Headers of every request received, in order. */
  received: RequestHeader[];
  close(): Promise<void>;
}

export async function startFakeBroker(handler: FakeHandler): Promise<FakeBroker> {
  const received: RequestHeader[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const splitter = new FrameSplitter(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
      for (let frame = splitter.next(); frame !== undefined; frame = splitter.next()) {
        const { header, body } = decodeRequestFrame(frame);
        received.push(header);
        const answer = handler(header, body, socket);
        if (answer === null) continue;
        for (const part of Array.isArray(answer) ? answer : [answer]) socket.write(part);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** An ApiVersions answer advertising `ranges` (apiKey -> [min, max]). */
export function apiVersionsAnswer(header: RequestHeader, ranges: Record<number, [number, number]>, errorCode = 0): Buffer[] {
  const body: apiVersions.ApiVersionsResponse = {
    ...apiVersions.defaultResponse(),
    errorCode,
    apiKeys: Object.entries(ranges).map(([apiKey, [minVersion, maxVersion]]) => ({ apiKey: Number(apiKey), minVersion, maxVersion })),
  };
  return encodeResponseFrame(header.requestApiKey, header.requestApiVersion, header.correlationId, body);
}
