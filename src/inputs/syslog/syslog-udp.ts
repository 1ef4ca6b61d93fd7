/**
 * Syslog over UDP (RFC 5426): one message per datagram. UDP cannot push back, so nothing here
 * waits: datagrams of one event-loop turn go to the sink together, and every loss is counted
 * (stats.ts), never silent:
 * - the kernel dropped datagrams because the receive buffer was full (`droppedKernelCount`, read
 *   from /proc/net/udp: udp-drops.ts) — raise --syslog-udp-buffer-bytes (SO_RCVBUF) against it;
 * - the log pushed back and the producer's buffer (buffer.memory) was full
 *   (`droppedBackpressureCount`);
 * - a datagram longer than max_line_bytes is truncated or skipped like any long line.
 * Main thread; owned by the input set that started it.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { utf8CutBytes, type LongLines } from '../long-lines.js';
import type { InputSink } from '../sink.js';
import { SyslogRecords, type SyslogFormat } from './records.js';
import { udpDrops } from './udp-drops.js';
import { hostForUrl } from './syslog-tcp.js';

export interface SyslogUdpOptions {
  host: string;
  port: number;
  format: SyslogFormat;
  limits: LongLines;
  /** SO_RCVBUF; the kernel's default (net.core.rmem_default) when unset. */
  receiveBufferBytes?: number;
}

const DROPS_POLL_MS = 1000;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

export class SyslogUdpInput {
  private readonly pending: SyslogRecords;
  private flushScheduled = false;
  private dropsTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly sink: InputSink,
    private readonly options: SyslogUdpOptions,
  ) {
    this.pending = new SyslogRecords(options.format, sink.stats, sink.routing);
  }

  static async listen(sink: InputSink, options: SyslogUdpOptions): Promise<SyslogUdpInput> {
    const type = net.isIPv6(options.host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, recvBufferSize: options.receiveBufferBytes });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const input = new SyslogUdpInput(socket, sink, options);
    socket.on('message', (datagram) => input.onDatagram(datagram));
    socket.on('error', () => {}); // receive errors are per datagram; the socket stays usable
    input.dropsTimer = setInterval(() => input.pollDrops(), DROPS_POLL_MS);
    input.dropsTimer.unref();
    return input;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** `udp://HOST:PORT` with the port it got. */
  get url(): string {
    return `udp://${hostForUrl(this.options.host)}:${this.port}`;
  }

  private onDatagram(datagram: Buffer): void {
    let length = datagram.length;
    while (length > 0 && (datagram[length - 1] === LF || datagram[length - 1] === CR || datagram[length - 1] === NUL)) length--;
    if (length === 0) return;
    const { stats } = this.sink;
    const { maxLineBytes, policy } = this.options.limits;
    let bytes = datagram.subarray(0, length);
    if (length > maxLineBytes) {
      if (policy === 'skip') {
        stats.counts.receivedCount++;
        stats.counts.skippedCount++;
        return;
      }
      bytes = bytes.subarray(0, utf8CutBytes(bytes, 0, maxLineBytes));
    }
    this.pending.add(bytes, length, Date.now());
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const records = this.pending.take();
    if (!this.sink.hasCapacity()) {
      this.sink.stats.counts.droppedBackpressureCount += records.length;
      return;
    }
    const sent = this.sink.send(records);
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private pollDrops(): void {
    const address = this.socket.address();
    const drops = udpDrops(address.address, address.port);
    if (drops !== null) this.sink.stats.counts.droppedKernelCount = drops;
  }

  /** Stops receiving; resolves once what was received is acknowledged (or failed). */
  async close(): Promise<void> {
    if (this.dropsTimer !== null) clearInterval(this.dropsTimer);
    this.pollDrops();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }
}
