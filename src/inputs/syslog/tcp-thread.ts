/**
 * A syslog TCP/TLS listener on a thread of its own (tcp-thread-worker.ts): the main thread only
 * takes the batches it encoded to the producer and sends their buffers back once acknowledged.
 * Used when the records of every message go to one fixed topic, keyed by hostname or not at
 * all (the byte routing of records.ts) and the topic's limits could be looked up at start;
 * otherwise the listener runs on the main thread (syslog-tcp.ts), as it also does for UDP.
 *
 * Guarantees as on the main thread: acks=all through the input's producer, backpressure (the
 * thread's connections stop reading while OUTSTANDING_BYTES_MAX of batches await their
 * acknowledgement), and close() stops accepting, drains the connections and waits until every
 * record read is acknowledged or failed. A thread that dies is logged; its listener is gone.
 * Main thread; owned by the input set that started it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { workerExecArgv } from '../../engine/worker-exec-argv.js';
import type { InputSink } from '../sink.js';
import { hostForUrl, type SyslogTcpOptions } from './syslog-tcp.js';
import { addCounts, type MainMessage, type TcpThreadData, type ThreadMessage } from './tcp-thread-protocol.js';

function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'tcp-thread-worker.js');
  return path.resolve(path.dirname(here), '../../../dist/src/inputs/syslog/tcp-thread-worker.js'); // tests run the sources
}

export class SyslogTcpThread {
  private readonly settling = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly sink: InputSink,
    private readonly options: SyslogTcpOptions,
    readonly port: number,
  ) {}

  /** Starts the thread and resolves once it listens (rejects with the listener's error). */
  static async start(sink: InputSink, options: SyslogTcpOptions): Promise<SyslogTcpThread> {
    const topicLimits = await sink.producer.topicLimits(sink.routing.topic);
    const data: TcpThreadData = { name: sink.stats.name, options, routing: sink.routing.options, topicLimits };
    const worker = new Worker(workerPath(), { workerData: data, execArgv: workerExecArgv() });
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (): void => reject(new Error('the syslog listener thread exited before listening'));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: ThreadMessage) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (message.type === 'listening') return resolve(message.port);
        const error = new Error(message.type === 'failed' ? message.message : `unexpected ${message.type}`) as NodeJS.ErrnoException;
        if (message.type === 'failed') error.code = message.code;
        reject(error);
      });
    });
    const thread = new SyslogTcpThread(worker, sink, options, port);
    worker.on('message', (message: ThreadMessage) => thread.onMessage(message));
    worker.on('error', (error) => sink.log(`${sink.stats.name}: listener thread failed: ${error.message}`));
    worker.on('exit', () => {
      thread.exited = true;
      if (thread.closing === null) sink.log(`${sink.stats.name}: listener thread exited; the listener is gone`);
    });
    return thread;
  }

  /** `tcp://HOST:PORT` (or tls://) with the port it got. */
  get url(): string {
    return `${this.options.tls === undefined ? 'tcp' : 'tls'}://${hostForUrl(this.options.host)}:${this.port}`;
  }

  private onMessage(message: ThreadMessage): void {
    addCounts(this.sink.stats.counts, message.counts ?? null);
    if (message.type !== 'batches') return;
    const batches = message.batches.map(({ arrayBuffer, byteOffset, byteLength, ...fields }) =>
      ({ ...fields, buffer: Buffer.from(arrayBuffer, byteOffset, byteLength) }));
    const settled = this.sink.sendEncoded(batches).then(() => {
      if (this.exited) return;
      // Acknowledged or failed: nothing reads the bytes any more, so they go back for reuse.
      const buffers = [...new Set(message.batches.map((batch) => batch.arrayBuffer))];
      const reply: MainMessage = { type: 'settled', id: message.id, buffers, limits: this.sink.limitsNow() ?? null };
      this.worker.postMessage(reply, buffers);
    });
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
  }

  /** Stops accepting, drains open connections briefly, and waits for their records' acknowledgements. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.exited) {
        const closed = new Promise<void>((resolve) => {
          const onMessage = (message: ThreadMessage): void => {
            if (message.type !== 'closed') return;
            this.worker.off('message', onMessage);
            resolve();
          };
          this.worker.on('message', onMessage);
          this.worker.once('exit', () => resolve());
        });
        this.worker.postMessage({ type: 'close' } satisfies MainMessage);
        await closed;
      }
      while (this.settling.size > 0) await Promise.allSettled([...this.settling]);
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
