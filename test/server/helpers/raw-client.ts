/**
 * A bare Kafka-protocol client over one socket, for tests that need exact frames: sends request
 * frames (or arbitrary bytes) and reads size-prefixed response frames in arrival order.
 */
import net from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/headers.js';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private correlationId = 1;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Encodes and sends one request; returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: unknown, clientId: string | null = 'raw-test'): number {
    const correlationId = this.correlationId++;
    for (const chunk of encodeRequestFrame(apiKey, apiVersion, correlationId, clientId, body)) this.socket.write(chunk);
    return correlationId;
  }

  frame(apiKey: number, apiVersion: number, body: unknown, correlationId = this.correlationId++): Buffer {
    return Buffer.concat(encodeRequestFrame(apiKey, apiVersion, correlationId, 'raw-test', body));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame (without size prefix), or null when the server closed first. */
  async nextFrame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('timed out waiting for a response frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  async response<T>(apiKey: number, apiVersion: number): Promise<{ correlationId: number; body: T }> {
    const frame = await this.nextFrame();
    if (frame === null) throw new Error('connection closed before the response');
    return decodeResponseFrame(frame, apiKey, apiVersion) as { correlationId: number; body: T };
  }

  /** Sends one request and decodes its answer. */
  async request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const correlationId = this.send(apiKey, apiVersion, body);
    const response = await this.response<T>(apiKey, apiVersion);
    if (response.correlationId !== correlationId) throw new Error(`correlation ${response.correlationId} != ${correlationId}`);
    return response.body;
  }

  /** Resolves once the server has closed the connection (or rejects after the timeout). */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await this.nextFrame(Math.max(1, deadline - Date.now())).catch(() => null);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
