/**
 * One TCP connection from a client to one Kafka broker. Owned by one KafkaClient on the main
 * thread; not thread-safe (nothing on the main thread needs to be).
 *
 * Framing and pipelining (every Kafka version): each request and response is an int32 size prefix
 * followed by that many bytes; a response starts with the correlationId of its request. A broker
 * answers the requests of one connection in the order they were sent, so in-flight requests wait
 * in a FIFO and the head must match each arriving correlationId:
 *
 *   written:   [c=7 Metadata] [c=8 Fetch maxWaitMs=500] [c=9 Produce acks=0] [c=10 Produce acks=1]
 *   inFlight:   7, 8, 10                        (acks=0 gets no response, so it never enters it)
 *   responses:  7, 8, 10 -- anything else is a protocol error and closes the connection
 *
 * A request that times out is rejected at once but stays in the FIFO, marked abandoned: its late
 * response is read and dropped, so later responses still line up and the connection stays usable
 * (the Java client closes the connection instead; keeping it costs nothing on one host).
 *
 * Versions are negotiated once, at connect, with ApiVersions (v3, falling back to v0 when the
 * broker answers UNSUPPORTED_VERSION, as KIP-511 prescribes). Each API is then sent at
 * min(our max, broker max); an API the broker lacks fails when it is first used.
 */
import net from 'node:net';
import { SOCKET_REQUEST_MAX_BYTES } from '../common/limits.js';
import { assert } from '../common/assert.js';
import { DecodeError } from '../protocol/decode-error.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/headers.js';
import * as apiVersionsApi from '../protocol/apis/api-versions.js';
import { clientMaxVersion } from './versions.js';
// The server's frame splitter cuts response frames just as well (the framing is symmetric).
import { FRAME_SIZE_PREFIX_BYTES, FrameSizeError, FrameSplitter } from '../protocol/frame-splitter.js';
import {
  BrokerProtocolError,
  BrokerUnreachableError,
  ConnectionClosedError,
  InvalidBrokerAddressError,
  RequestTimeoutError,
  RequestTooLargeError,
  UnsupportedApiError,
} from './errors.js';

/** The part of a generated API module (src/protocol/apis/<api>.ts) the client needs. */
export interface ApiCodec<Req, Res> {
  readonly API_KEY: number;
  readonly API_NAME: string;
  /** The newest version the codec covers; the client sends at most src/client/versions.ts's. */
  readonly MAX_VERSION: number;
  readonly CODEC_MIN_VERSION: number;
  defaultRequest(): Req;
  decodeResponse(reader: never, version: number): Res;
}

export interface ConnectionOptions {
  /** The request header's clientId. Default 'brook'. */
  clientId?: string | null;
  /** How long a request may wait for its response. Default 30 000 (Kafka's request.timeout.ms). */
  requestTimeoutMs?: number;
  /** How long the TCP connect plus ApiVersions may take. Default 10 000. */
  connectTimeoutMs?: number;
  /** Largest frame either way (socket.request.max.bytes). Default SOCKET_REQUEST_MAX_BYTES. */
  frameBytesMax?: number;
}

export interface SendOptions {
  /** Overrides the connection's requestTimeoutMs (e.g. a fetch adds its maxWaitMs). */
  timeoutMs?: number;
}

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
const CLIENT_SOFTWARE_NAME = 'brook';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
const API_VERSIONS_FLEXIBLE_VERSION = 3;
const CORRELATION_ID_MAX = 0x7fffffff;
const CLOSE_GRACE_MS = 5_000;
/** A response frame starts with the int32 correlationId; ApiVersions' errorCode follows it. */
const CORRELATION_ID_BYTES = 4;

interface InFlight {
  correlationId: number;
  apiName: string;
  resolve(frame: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
  /** Timed out: the caller has its error, the response is still read and dropped. */
  abandoned: boolean;
}

/** Parses 'host:port' or '[ipv6]:port'. */
export function parseBrokerAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port >= 1 && port <= 65535)) throw new InvalidBrokerAddressError(address);
  return { host: (match[1] ?? match[2])!, port };
}

export class BrokerConnection {
  private readonly inFlight: InFlight[] = [];
  private readonly splitter: FrameSplitter;
  private nextCorrelationId = 0;
  private brokerVersions = new Map<number, VersionRange>();
  /** Set once the connection can no longer be used; later sends reject with it. */
  private closedError: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly socketClosed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly options: Required<ConnectionOptions>,
  ) {
    this.splitter = new FrameSplitter(options.frameBytesMax);
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new ConnectionClosedError(address, `connection to broker ${address} failed: ${error.message}`, error)));
    socket.on('close', () => this.fail(new ConnectionClosedError(address, `connection to broker ${address} closed`)));
  }

  /** Opens the connection and negotiates API versions. Rejects with BrokerUnreachableError. */
  static async connect(address: string, options: ConnectionOptions = {}): Promise<BrokerConnection> {
    const { host, port } = parseBrokerAddress(address);
    const resolved: Required<ConnectionOptions> = {
      clientId: options.clientId === undefined ? 'brook' : options.clientId,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
      connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      frameBytesMax: options.frameBytesMax ?? SOCKET_REQUEST_MAX_BYTES,
    };
    const socket = await openSocket(host, port, address, resolved.connectTimeoutMs);
    const connection = new BrokerConnection(socket, address, resolved);
    try {
      await connection.negotiateVersions();
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  /** The broker's advertised range per api key (after connect). */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.brokerVersions;
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  /** The version this connection sends for an API; throws UnsupportedApiError. */
  versionFor(codec: Pick<ApiCodec<unknown, unknown>, 'API_KEY' | 'API_NAME' | 'MAX_VERSION' | 'CODEC_MIN_VERSION'>): number {
    const broker = this.brokerVersions.get(codec.API_KEY);
    if (broker === undefined) {
      throw new UnsupportedApiError(this.address, codec.API_NAME, `broker ${this.address} does not support ${codec.API_NAME} (api key ${codec.API_KEY})`);
    }
    const clientMax = clientMaxVersion(codec.API_KEY, codec.MAX_VERSION);
    const version = Math.min(clientMax, broker.maxVersion);
    if (version < broker.minVersion || version < codec.CODEC_MIN_VERSION) {
      throw new UnsupportedApiError(this.address, codec.API_NAME,
        `broker ${this.address} speaks ${codec.API_NAME} v${broker.minVersion}-v${broker.maxVersion}, this client v${codec.CODEC_MIN_VERSION}-v${clientMax}`);
    }
    return version;
  }

  /** Sends a request and decodes its response. Kafka error codes in the body are data. */
  async send<Req, Res>(codec: ApiCodec<Req, Res>, body: Req, options: SendOptions = {}): Promise<Res> {
    const version = this.versionFor(codec);
    const frame = await this.sendFrame(codec.API_KEY, codec.API_NAME, version, body, options.timeoutMs ?? this.options.requestTimeoutMs);
    return this.decode(frame, codec, version);
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0). Resolves once the bytes are
   * handed to the kernel, which is the backpressure a caller awaiting it gets.
   */
  async sendWithoutResponse<Req>(codec: ApiCodec<Req, unknown>, body: Req): Promise<void> {
    const version = this.versionFor(codec);
    const { chunks } = this.encode(codec.API_KEY, codec.API_NAME, version, body);
    await new Promise<void>((resolve, reject) => {
      this.writeChunks(chunks, (error) => (error ? reject(this.closedError ?? error) : resolve()));
    });
  }

  /**
   * Clean close: no new requests; those in flight get their responses (or time out), then the
   * socket is ended. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closedError ??= new ConnectionClosedError(this.address, `connection to broker ${this.address} was closed by the client`);
      await Promise.allSettled(this.inFlight.map((entry) => new Promise<void>((resolve) => {
        const { resolve: done, reject } = entry;
        entry.resolve = (frame) => { done(frame); resolve(); };
        entry.reject = (error) => { reject(error); resolve(); };
        if (entry.abandoned) resolve();
      })));
      this.socket.end();
      // A broker closes its side on our FIN; one that does not is cut off after a grace period.
      const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      await this.socketClosed;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  /** Immediate close: pending requests reject with ConnectionClosedError. */
  destroy(): void {
    this.fail(new ConnectionClosedError(this.address, `connection to broker ${this.address} was closed by the client`));
  }

  private async negotiateVersions(): Promise<void> {
    const request = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    const timeoutMs = this.options.connectTimeoutMs;
    let version = API_VERSIONS_FLEXIBLE_VERSION;
    let frame = await this.sendFrame(apiVersionsApi.API_KEY, apiVersionsApi.API_NAME, version, request, timeoutMs);
    // An older broker answers an unknown ApiVersions version with error 35 in a v0-shaped body;
    // read the code before decoding and ask again at v0, which every broker speaks.
    if (frame.length >= CORRELATION_ID_BYTES + 2 && frame.readInt16BE(CORRELATION_ID_BYTES) === ErrorCode.UNSUPPORTED_VERSION) {
      version = 0;
      frame = await this.sendFrame(apiVersionsApi.API_KEY, apiVersionsApi.API_NAME, version, apiVersionsApi.defaultRequest(), timeoutMs);
    }
    const response = this.decode(frame, apiVersionsApi, version);
    if (response.errorCode !== ErrorCode.NONE) {
      throw new BrokerProtocolError(this.address, `broker ${this.address} answered ApiVersions with ${errorName(response.errorCode)}`);
    }
    this.brokerVersions = new Map(response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
  }

  private encode(apiKey: number, apiName: string, version: number, body: unknown): { chunks: Buffer[]; correlationId: number } {
    if (this.closedError !== null) throw this.closedError;
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === CORRELATION_ID_MAX ? 0 : correlationId + 1;
    const chunks = encodeRequestFrame(apiKey, version, correlationId, this.options.clientId, body);
    const frameBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0) - FRAME_SIZE_PREFIX_BYTES;
    if (frameBytes > this.options.frameBytesMax) throw new RequestTooLargeError(apiName, frameBytes, this.options.frameBytesMax);
    return { chunks, correlationId };
  }

  private sendFrame(apiKey: number, apiName: string, version: number, body: unknown, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const { chunks, correlationId } = this.encode(apiKey, apiName, version, body);
      const entry: InFlight = { correlationId, apiName, resolve, reject, timer: null, abandoned: false };
      entry.timer = setTimeout(() => {
        entry.abandoned = true;
        entry.timer = null;
        entry.reject(new RequestTimeoutError(this.address, apiName, timeoutMs));
      }, timeoutMs);
      this.inFlight.push(entry);
      this.writeChunks(chunks, () => {});
    });
  }

  private writeChunks(chunks: Buffer[], done: (error?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!);
    this.socket.write(chunks[chunks.length - 1]!, done);
    this.socket.uncork();
  }

  private decode<Res>(frame: Buffer, codec: ApiCodec<unknown, Res>, version: number): Res {
    try {
      return decodeResponseFrame(frame, codec.API_KEY, version).body as Res;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw new BrokerProtocolError(this.address, `broker ${this.address} sent an undecodable ${codec.API_NAME} v${version} response: ${error.message}`, error);
    }
  }

  private onData(chunk: Buffer): void {
    this.splitter.push(chunk);
    for (;;) {
      let frame: Buffer | undefined;
      try {
        frame = this.splitter.next();
      } catch (error) {
        if (!(error instanceof FrameSizeError)) throw error;
        this.fail(new BrokerProtocolError(this.address, `broker ${this.address} sent a response frame of ${error.sizeBytes} bytes, outside [0, ${this.options.frameBytesMax}]`));
        return;
      }
      if (frame === undefined) return;
      if (!this.deliver(frame)) return;
    }
  }

  /** Hands a frame to the head of the FIFO; false when the connection had to be failed. */
  private deliver(frame: Buffer): boolean {
    const head = this.inFlight[0];
    const correlationId = frame.length >= CORRELATION_ID_BYTES ? frame.readInt32BE(0) : -1;
    if (head === undefined || head.correlationId !== correlationId) {
      const expected = head === undefined ? 'none pending' : `expected ${head.correlationId}`;
      this.fail(new BrokerProtocolError(this.address, `broker ${this.address} sent a response with correlation id ${correlationId} (${expected})`));
      return false;
    }
    this.inFlight.shift();
    if (head.timer !== null) clearTimeout(head.timer);
    if (!head.abandoned) head.resolve(frame);
    return true;
  }

  /** Rejects everything pending with `error` and tears the socket down. */
  private fail(error: Error): void {
    this.closedError ??= error;
    const pending = this.inFlight.splice(0);
    for (const entry of pending) {
      if (entry.timer !== null) clearTimeout(entry.timer);
      if (!entry.abandoned) entry.reject(error);
    }
    if (!this.socket.destroyed) this.socket.destroy();
    assert(this.inFlight.length === 0, 'a failed connection has nothing in flight');
  }
}

function openSocket(host: string, port: number, address: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerUnreachableError(address, `no connection after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new BrokerUnreachableError(address, error.code ?? error.message, error));
    });
  });
}
