/**
 * Syslog over TCP (RFC 6587) and over TLS (RFC 5425, with the server's certificate options):
 * each connection's bytes go through a SyslogFramer (octet counting or LF, per message), and the
 * messages of one read go to the sink together: as batches encoded in place (batch-encoder.ts)
 * when routing allows, else as records (records.ts). Backpressure: while the producer's buffer is full
 * the connection stops reading, so the sender's socket fills and it slows down; nothing is dropped.
 *
 * Stopping: no new connections; each open one is half-closed (FIN) and read until the sender
 * closes or STOP_GRACE_MS passes; then what was read is acknowledged before close() resolves.
 * Main thread; owned by the input set that started it.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TopicLimits } from '../../embedded/topic-metadata.js';
import type { LongLines } from '../long-lines.js';
import type { Routing } from '../routing.js';
import type { InputRecord } from '../sink.js';
import type { InputStats } from '../stats.js';
import { SyslogFramer } from './framing.js';
import { SlabPool, SyslogBatchEncoder, type SlabBatch } from './batch-encoder.js';
import { byteRouting, SyslogRecords, type SyslogFormat } from './records.js';

export interface SyslogTcpOptions {
  host: string;
  port: number;
  format: SyslogFormat;
  limits: LongLines;
  /** Serve TLS (RFC 5425) with these options. */
  tls?: tls.TlsOptions;
  /** Most connections at once (Kafka's max.connections); more are refused. Default 1000. */
  maxConnections?: number;
}

/**
 * Where the listener hands what it read: the input's sink (InputSink) on the main thread, or a
 * proxy of it when the listener runs on its own thread (tcp-thread.ts).
 */
export interface SyslogTcpSink {
  readonly stats: InputStats;
  readonly routing: Routing;
  /** The topic's limits once known: reads are then encoded into batches (batch-encoder.ts). */
  limitsNow(): TopicLimits | undefined;
  /** Settles when every record is acknowledged or failed; then their slabs may be reused. */
  sendEncoded(batches: SlabBatch[]): Promise<unknown>;
  /** The record path, while the limits are not known. */
  send(records: InputRecord[]): Promise<unknown>;
  hasCapacity(): boolean;
  ready(): Promise<void>;
}

const STOP_GRACE_MS = 2000;
const NO_BYTES = Buffer.alloc(0);

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
const MAX_CONNECTIONS_DEFAULT = 1000;

export class SyslogTcpInput {
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly server: net.Server,
    private readonly sink: SyslogTcpSink,
    private readonly options: SyslogTcpOptions,
    private readonly slabs: SlabPool,
  ) {}

  static async listen(sink: SyslogTcpSink, options: SyslogTcpOptions, slabs = new SlabPool()): Promise<SyslogTcpInput> {
    const server = options.tls === undefined ? net.createServer() : tls.createServer(options.tls);
    server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS_DEFAULT;
    const input = new SyslogTcpInput(server, sink, options, slabs);
    server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => input.onConnection(socket));
    server.on('tlsClientError', () => {}); // a failed handshake ends that connection only
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return input;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `tcp://HOST:PORT` (or tls://) with the port it got. */
  get url(): string {
    return `${this.options.tls === undefined ? 'tcp' : 'tls'}://${hostForUrl(this.options.host)}:${this.port}`;
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    const { sink } = this;
    const { format } = this.options;
    const records = new SyslogRecords(format, sink.stats, sink.routing);
    // Whole batches encoded per read when routing allows and the topic's limits are known (the
    // first read of a new topic goes through `records`, whose send looks them up).
    const encoder = byteRouting(sink.routing) ? new SyslogBatchEncoder(format, sink.stats, sink.routing, this.slabs) : null;
    let encoding = false;
    let nowMs = Date.now(); // the time of receipt: one clock read per read, not per message
    const framer = new SyslogFramer(this.options.limits, {
      frame: (source, start, end, originalBytes) => {
        if (encoding) encoder!.add(source, start, end, originalBytes, nowMs);
        else records.add(source.subarray(start, end), originalBytes, nowMs);
      },
      skipped: () => {
        sink.stats.counts.receivedCount++;
        sink.stats.counts.skippedCount++;
      },
    });
    const track = (sent: Promise<unknown>): void => {
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    };
    // At most one encoded send of this connection in flight: what arrives meanwhile joins the
    // encoder's open batch and goes when it settles (or when a batch fills up), so under load
    // batches grow instead of each read paying a produce of its own.
    let sending = false;
    const sendEncoded = (): void => {
      if (encoder === null) return;
      if (!encoder.holdsRecords) {
        // A read that completed no message: its empty slab goes back to the pool (an idle
        // connection holds none).
        encoder.take();
        return;
      }
      sending = true;
      const batches = encoder.take();
      const sent = sink.sendEncoded(batches);
      track(sent);
      void sent.finally(() => {
        for (const batch of batches) if (batch.slab !== null) this.slabs.give(batch.slab);
        sending = false;
        sendEncoded();
      });
    };
    const sendRead = (): void => {
      sendEncoded(); // records encoded earlier go first
      if (records.length > 0) track(sink.send(records.take()));
    };
    socket.on('data', (chunk: Buffer) => {
      nowMs = Date.now();
      const limits = encoder === null ? undefined : sink.limitsNow();
      if (limits !== undefined) {
        encoder!.begin(chunk, limits);
        encoding = true;
        framer.push(chunk);
        encoding = false;
        if (!sending || encoder!.holdsFullBatches) sendEncoded();
      } else {
        framer.push(chunk);
        sendRead();
      }
      if (!sink.hasCapacity()) {
        sendEncoded(); // held records count against the bound once handed over
        socket.pause();
        void sink.ready().then(() => socket.resume());
      }
    });
    socket.on('end', () => {
      nowMs = Date.now();
      const limits = encoder === null ? undefined : sink.limitsNow();
      if (limits !== undefined) {
        // A last message without LF: encoded like the others (its bytes are not in a read).
        encoder!.begin(NO_BYTES, limits);
        encoding = true;
        framer.end();
        encoding = false;
      } else {
        framer.end();
      }
      sendRead();
      socket.end();
    });
    socket.on('error', () => {}); // a reset connection ends itself; 'close' follows
    socket.on('close', () => {
      if (!sending) sendEncoded(); // a reset connection: what was read is still written
      this.sockets.delete(socket);
    });
  }

  /** Stops accepting, drains open connections briefly, and waits for their records' acknowledgements. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.end();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, STOP_GRACE_MS);
    timer.unref();
    await closed;
    clearTimeout(timer);
    // A settling send may start the next one (held records): wait until none is left.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
