/**
 * BrookServer: the Kafka protocol listener in front of a Broker. Main thread only; one per Broker.
 *
 * Lifecycle: `listen()` binds (port 0 = any free port, read `port` afterwards); `close()` is the
 * graceful shutdown: stop accepting, stop reading every connection, let requests in flight finish
 * and be answered (bounded by `shutdownGraceMs`, after which the rest are cut), then close the
 * Broker if this server opened it. Safe to call twice.
 */
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import { FETCH_BYTES_IN_FLIGHT_MAX, SOCKET_REQUEST_MAX_BYTES } from '../common/limits.js';
import { FetchBudget } from './fetch-budget.js';
import { ReadBufferPool } from '../storage/read-buffers.js';
import type { ApiHandler, HandlerRegistry, ServerContext } from './handler.js';
import type { BrokerApi } from './broker-api.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { RequestDispatcher } from './dispatcher.js';
import { createDefaultRegistry } from './handlers/index.js';
import { SecuritySession, type SecurityConfig } from './security/session.js';
import { certificatePrincipal } from './security/tls.js';
import { RequestMetrics } from '../metrics/requests.js';

/**
 * Per connection: request bytes received and not yet answered plus response bytes not yet taken by
 * the socket (Kafka's queued.max.request.bytes, per connection here), and requests in flight
 * (queued.max.requests). Above either, the connection stops reading its socket.
 */
export const QUEUED_MAX_REQUEST_BYTES = 16 * 1024 * 1024;
export const QUEUED_MAX_REQUESTS = 500;
export const SHUTDOWN_GRACE_MS_DEFAULT = 5000;

export interface ServerOptions {
  host?: string;
  port?: number;
  /** Host put in Metadata responses; defaults to `host` (or the machine name for a wildcard bind). */
  advertisedHost?: string;
  /** Port put in Metadata responses; defaults to the bound port. */
  advertisedPort?: number;
  autoCreateTopics?: boolean;
  numPartitions?: number;
  /** The data dir, for the producer-id file; the Broker's own dir. */
  dataDir: string;
  extraHandlers?: ApiHandler<any, any>[];
  limits?: Partial<ConnectionLimits>;
  shutdownGraceMs?: number;
  /** A TLS listener instead of plain TCP (security/tls.ts builds these from the --tls-* flags). */
  tls?: tls.TlsOptions;
  /** SASL users and mechanisms, ACLs (security/config.ts); absent: no authentication, all allowed. */
  security?: SecurityConfig;
  /** Overrides FETCH_BYTES_IN_FLIGHT_MAX (tests use a small one). */
  fetchBytesInFlightMax?: number;
  /** Diagnostics (bad frames, handler failures); default: stderr. */
  log?: (message: string) => void;
}

export class BrookServer {
  readonly registry: HandlerRegistry;
  private readonly listener: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly limits: ConnectionLimits;
  private readonly log: (message: string) => void;
  private context: ServerContext | null = null;
  /** Fetched bytes held until written, across all connections (FETCH_BYTES_IN_FLIGHT_MAX). */
  readonly fetchBudget: FetchBudget;
  /** Reused fetch read buffers, across all connections (READ_BUFFER_POOL_BYTES_MAX). */
  readonly fetchBuffers = new ReadBufferPool();
  /** Per-API counts, error codes and latencies (/metrics). */
  readonly requestMetrics = new RequestMetrics();
  private closing: Promise<void> | null = null;

  constructor(
    readonly broker: BrokerApi,
    private readonly options: ServerOptions,
  ) {
    this.registry = createDefaultRegistry();
    for (const handler of options.extraHandlers ?? []) this.registry.register(handler);
    this.limits = {
      frameBytesMax: SOCKET_REQUEST_MAX_BYTES,
      inflightBytesMax: QUEUED_MAX_REQUEST_BYTES,
      inflightRequestsMax: QUEUED_MAX_REQUESTS,
      ...options.limits,
    };
    this.fetchBudget = new FetchBudget(options.fetchBytesInFlightMax ?? FETCH_BYTES_IN_FLIGHT_MAX);
    // ACLs and SCRAM credentials created through the admin APIs live in the Broker's metadata log.
    const store = broker.securityMetadata;
    if (store !== undefined) {
      options.security?.authorizer?.useBindings(() => store.acls());
      options.security?.users?.useDynamicCredentials(() => store.scramCredentials());
    }
    this.log = options.log ?? ((message) => process.stderr.write(`brook: ${message}\n`));
    // A TLS socket is a Duplex like a TCP one: everything after accept() is the same.
    this.listener =
      options.tls === undefined
        ? net.createServer((socket) => this.accept(socket))
        : tls.createServer(options.tls, (socket) => this.accept(socket));
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** The bound port (after listen). */
  get port(): number {
    const address = this.listener.address();
    return typeof address === 'object' && address !== null ? address.port : -1;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen({ host: this.host, port: this.options.port ?? 9092 }, () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
    const wildcard = this.host === '0.0.0.0' || this.host === '::';
    this.context = {
      broker: this.broker,
      registry: this.registry,
      advertisedHost: this.options.advertisedHost ?? (wildcard ? os.hostname() : this.host),
      advertisedPort: this.options.advertisedPort ?? this.port,
      autoCreateTopics: this.options.autoCreateTopics ?? true,
      numPartitions: this.options.numPartitions ?? 1,
      fetchBudget: this.fetchBudget,
      fetchBuffers: this.fetchBuffers,
      security: this.options.security,
      dataDir: this.options.dataDir,
      requestMetrics: this.requestMetrics,
    };
    return this;
  }

  /** Graceful shutdown of the listener and its connections (the Broker is the caller's). */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    const drained = Promise.allSettled([...this.connections].map((connection) => connection.drainAndClose()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS_DEFAULT);
    });
    await Promise.race([drained, grace]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.destroy();
    await stopped;
  }

  private accept(socket: net.Socket): void {
    if (this.closing !== null || this.context === null) {
      socket.destroy();
      return;
    }
    const session = new SecuritySession(this.options.security ?? null, socket instanceof tls.TLSSocket ? certificatePrincipal(socket) : null);
    const dispatcher = new RequestDispatcher(this.context, this.log, session);
    const connection = new Connection(socket, dispatcher, this.limits, (conn, error) =>
      this.log(`${conn.remoteAddress}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.connections.add(connection);
    connection.onClosed(() => this.connections.delete(connection));
  }
}
