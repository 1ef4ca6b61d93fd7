/**
 * Brook as a library: one object that owns an in-process broker over a data dir and hands out
 * an admin client, producers and consumers. Closing it closes every producer (flushing them) and
 * consumer it created, then the broker (clean-shutdown markers written).
 * Main thread only; one Brook per data dir per process (the dir is locked).
 */
import type { BrookBackend } from './backend.js';
import { BrokerBackend } from './broker-backend.js';
import { Admin } from './admin.js';
import { Producer, type ProducerOptions } from './producer.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import type { HttpListener } from '../http/listener.js';

/** `Brook.open({ http })`: the HTTP listener of `brook serve --http` (health, /metrics, the web console), in process. */
export interface BrookHttpOptions {
  /** Default 127.0.0.1 (loopback, as `brook serve`). */
  host?: string;
  /** 0 picks a free port: read it from `brook.http.url`. */
  port: number;
  /** Basic auth for every request: true when `password` is `username`'s. Default: none. */
  authenticate?: (username: string, password: string) => boolean;
}

export interface BrookOptions {
  /** Default './brook-data'. */
  dataDir?: string;
  /** Defaults for every topic's configs, by Kafka name (e.g. { 'segment.bytes': '1048576' }). */
  topicDefaults?: Record<string, string>;
  /** Create unknown topics on first produce (Kafka's auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics (Kafka's num.partitions). Default 1. */
  numPartitions?: number;
  /** Partition worker threads, each owning many partitions. Default: one per core. */
  workers?: number;
  /** Bytes of each partition worker's produce ring. Default 16 MiB. */
  ringBytes?: number;
  /** The open-files limit Brook shares among its threads' segment-file caches. Default: RLIMIT_NOFILE. */
  openFilesLimit?: number;
  /**
   * Close gracefully on SIGINT / SIGTERM (flush producers, write clean-shutdown markers), then
   * let the signal end the process as it would have. Default true. Pass false when the
   * application handles signals itself and calls `close()`.
   */
  handleSignals?: boolean;
  /** Also serve /healthz, /readyz, /metrics and the web console over HTTP. Default: off. */
  http?: BrookHttpOptions;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export const DATA_DIR_DEFAULT = './brook-data';

export class Brook {
  readonly admin: Admin;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private closing: Promise<void> | null = null;
  /** The HTTP listener when opened with `http` (its `url` says where), else null. */
  http: HttpListener | null = null;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.closeOnSignal(signal);

  /** Wraps an already-open backend; most callers want Brook.open. */
  constructor(readonly backend: BrookBackend) {
    this.admin = new Admin(backend);
  }

  /** Opens (creating if needed) the data dir. Throws DataDirLockedError if another process has it. */
  static async open(options: BrookOptions = {}): Promise<Brook> {
    const backend = await BrokerBackend.open({
      dataDir: options.dataDir ?? DATA_DIR_DEFAULT,
      topicDefaults: options.topicDefaults,
      autoCreateTopics: options.autoCreateTopics ?? true,
      numPartitions: options.numPartitions ?? 1,
      ringBytes: options.ringBytes,
      workers: options.workers,
      openFilesLimit: options.openFilesLimit,
      // Usable at once; every partition opens (and recovers) in the background, or on first use.
      openPartitions: 'background',
    });
    const brook = new Brook(backend);
    if (options.http !== undefined) {
      try {
        brook.http = await listenHttp(backend, options.http);
      } catch (err) {
        await backend.close();
        throw err;
      }
    }
    if (options.handleSignals ?? true) for (const signal of SIGNALS) process.on(signal, brook.onSignal);
    return brook;
  }

  producer(options: ProducerOptions = {}): Producer {
    this.checkOpen();
    const producer = new Producer(this.backend, options);
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.checkOpen();
    const consumer = new Consumer(this.backend, options);
    this.consumers.add(consumer);
    return consumer;
  }

  /** Durably writes everything appended so far (fsync), whatever the topics' flush settings. */
  flush(): Promise<void> {
    return this.backend.flush();
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await this.http?.close();
    await this.backend.close();
  }

  /**
   * Closes, then re-raises the signal so the process ends as it would have without us — unless
   * the application listens for it too, in which case the application decides.
   */
  private closeOnSignal(signal: NodeJS.Signals): void {
    const appListens = process.listenerCount(signal) > 1;
    void this.close().finally(() => {
      if (!appListens && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new Error('Brook is closed');
  }
}

/** Loaded only when asked for, like the engine: an embedded Brook without `http` never loads node:http routes. */
async function listenHttp(backend: BrokerBackend, options: BrookHttpOptions): Promise<HttpListener> {
  const [{ HttpListener }, { httpRoutes }] = await Promise.all([import('../http/listener.js'), import('../http/routes.js')]);
  let listener: HttpListener | null = null;
  const connections = (): Record<string, number> => ({ http: listener?.connectionCount ?? 0 });
  listener = await HttpListener.listen(httpRoutes({ broker: backend.broker, connections }), {
    host: options.host ?? '127.0.0.1',
    port: options.port,
    authenticate: options.authenticate,
  });
  return listener;
}
