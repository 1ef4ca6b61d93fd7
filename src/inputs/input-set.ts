/**
 * The log inputs of one process, started together over one backend: `brook serve --syslog ...
 * --tail ...`, `brook tail`, and `Brook.open({ inputs })` (HTTP ingest is a set of routes on the
 * HTTP listener instead: src/inputs/http/). They share one embedded producer
 * (acks=all, idempotent; its buffer.memory bounds what all inputs hold), each with its own
 * routing and counters (InputSink), and one reporter that logs losses.
 *
 * Stopping (close) stops every input from reading, waits until what they read is acknowledged,
 * saves the checkpoints of the files and journald inputs, and flushes the producer.
 * Main thread; owned by whoever started it.
 */
import type { BrookBackend } from '../embedded/backend.js';
import { Producer, type ProducerOptions } from '../embedded/producer.js';
import { JournaldInput, type JournaldOptions } from './journald/journald-input.js';
import { registerInputStats, unregisterInputStats } from './registry.js';
import { Routing, type RoutingOptions } from './routing.js';
import { InputSink } from './sink.js';
import { InputReporter, InputStats } from './stats.js';
import { startSyslogInput, syslogRouting, type SyslogInput, type SyslogInputConfig } from './syslog/syslog-input.js';
import { TailInput, type TailOptions } from './tail/tail-input.js';

export type { SyslogInputConfig } from './syslog/syslog-input.js';

export type TailInputConfig = TailOptions & RoutingOptions;
export type JournaldInputConfig = JournaldOptions & RoutingOptions;

export interface InputsConfig {
  syslog?: SyslogInputConfig[];
  tail?: TailInputConfig[];
  journald?: JournaldInputConfig[];
  /** The inputs' producer (linger.ms, batch.size, buffer.memory, compression, ...). */
  producer?: ProducerOptions;
  /** How often the server log reports losses. Default 10000. */
  reportIntervalMs?: number;
}

type Input = SyslogInput | TailInput | JournaldInput;

export class InputSet {
  readonly syslog: SyslogInput[] = [];
  readonly tail: TailInput[] = [];
  readonly journald: JournaldInput[] = [];
  readonly stats: InputStats[] = [];
  /** Settles with the error of the first file or journald input that stopped by itself. */
  readonly failed: Promise<Error>;
  private readonly producer: Producer;
  private readonly reporter: InputReporter;
  private closing: Promise<void> | null = null;

  private constructor(
    backend: BrookBackend,
    private readonly config: InputsConfig,
    private readonly owner: object,
    private readonly log: (line: string) => void,
  ) {
    this.producer = new Producer(backend, { lingerMs: 5, ...config.producer });
    this.reporter = new InputReporter(() => this.stats, log, config.reportIntervalMs);
    this.failed = new Promise<Error>((resolve) => (this.reportFailure = resolve));
  }

  private reportFailure!: (error: Error) => void;

  /**
   * Starts every configured input; on any failure, stops those already started and throws.
   * `owner` is what `GET /inputs` finds the counters by (the Broker in serve, else the backend).
   */
  static async start(backend: BrookBackend, config: InputsConfig, log: (line: string) => void, owner: object = backend): Promise<InputSet> {
    const set = new InputSet(backend, config, owner, log);
    try {
      for (const syslog of config.syslog ?? []) {
        const routing = syslogRouting(syslog);
        const stats = new InputStats(`syslog ${syslog.listen}`);
        const input = await startSyslogInput(syslog, set.sink(routing, stats));
        set.syslog.push(input);
        stats.name = `syslog ${input.url}`; // with the port it got (port 0 picks one)
      }
      for (const tail of config.tail ?? []) {
        const stats = new InputStats(`tail ${tail.paths.join(' ')} → ${tail.topic}`);
        const input = await TailInput.start(tail, set.sink(new Routing(tail), stats), log);
        set.tail.push(input);
        void input.failed.then((error) => set.reportFailure(error));
      }
      for (const journald of config.journald ?? []) {
        const stats = new InputStats(`journald → ${journald.topic}`);
        const input = await JournaldInput.start(journald, set.sink(new Routing(journald), stats), log);
        set.journald.push(input);
        void input.failed.then((error) => set.reportFailure(error));
      }
    } catch (error) {
      await set.close();
      throw error;
    }
    return set;
  }

  private sink(routing: Routing, stats: InputStats): InputSink {
    this.stats.push(stats);
    registerInputStats(this.owner, stats);
    return new InputSink(this.producer, routing, stats, this.log);
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const inputs: Input[] = [...this.syslog, ...this.tail, ...this.journald];
    const results = await Promise.allSettled(inputs.map((input) => input.close()));
    await this.producer.close();
    this.reporter.stop();
    for (const stats of this.stats) unregisterInputStats(this.owner, stats);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }
}
