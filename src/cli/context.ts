/**
 * What every command shares: the global options, the backend it works through, signal handling
 * and the rule for errors (user errors and operating-system errors — a full disk, a read-only
 * directory, too many open files — are one line `brook: <message>` and exit 1; anything else is
 * a bug and keeps its stack).
 *
 * Signals: the first SIGINT/SIGTERM aborts `signal`; commands stop reading, flush, and return,
 * and the backend is closed gracefully (clean-shutdown markers). A command that stops early then
 * returns exitCodeFor(signal): 130 for SIGINT and 143 for SIGTERM (128 + the signal's number, as
 * shells report it); one whose normal end is a signal (serve, tail, mirror --follow, streams run,
 * top) returns 0 after a clean stop. A second signal exits at once with 130/143.
 *
 * Exit codes: 0 success; 1 an error (one line on stderr); 130/143 interrupted.
 */
import { InvalidArgumentError as InvalidArgument, type Command } from 'commander';
import { BrookError } from '../common/errors.js';
import type { BrookBackend } from '../embedded/backend.js';
import { openBackend } from './open-backend.js';
import { KafkaError } from '../embedded/kafka-error.js';
import { UserError } from './user-error.js';
import { describeError, isOperatingError } from './os-errors.js';

export interface GlobalOptions {
  dataDir: string;
  /**
   * host:port of a Kafka-protocol broker; when set, commands never touch --data-dir. Without it a
   * data dir held by a running `brook serve` is reached through that server (open-backend.ts).
   */
  broker?: string;
}

export interface CommandContext {
  globals: GlobalOptions;
  /** Opens the backend on first use (so `--help` and flag errors never touch the data dir). */
  backend(options?: { autoCreateTopics?: boolean; numPartitions?: number; groups?: boolean }): Promise<BrookBackend>;
  signal: AbortSignal;
  /** Writes one diagnostic line to stderr, prefixed `brook: `. */
  warn(message: string): void;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** 128 + the signal number: what a shell reports for a process the signal ended. */
const EXIT_BY_SIGNAL: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Why a command's signal was aborted: the interrupting signal. */
export class InterruptedError extends UserError {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
  }
}

/** EXIT_OK, or the interrupted exit code when `signal` was aborted by SIGINT/SIGTERM. */
export function exitCodeFor(signal: AbortSignal): number {
  if (!signal.aborted) return EXIT_OK;
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? (EXIT_BY_SIGNAL[reason.signalName] ?? EXIT_FAILURE) : EXIT_OK;
}

/** Wraps a command body: context, signals, closing the backend, error reporting, exit code. */
export function action<A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals() as GlobalOptions;
    const controller = new AbortController();
    let signalCount = 0;
    const onSignal = (name: NodeJS.Signals) => {
      signalCount++;
      if (signalCount > 1) process.exit(EXIT_BY_SIGNAL[name] ?? EXIT_FAILURE);
      controller.abort(new InterruptedError(name));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let backend: BrookBackend | null = null;
    let code: number;
    try {
      const ctx: CommandContext = {
        globals,
        signal: controller.signal,
        warn: (message) => process.stderr.write(`brook: ${message}\n`),
        backend: async (options = {}) => {
          backend ??= await openBackend(globals.dataDir, globals.broker, options);
          return backend;
        },
      };
      code = (await body(ctx, ...args)) ?? EXIT_OK;
    } catch (err) {
      code = reportError(err);
    }
    try {
      if (backend !== null) await (backend as BrookBackend).close();
    } catch (err) {
      code = Math.max(code, reportError(err));
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Workers or timers of a failed open must not keep a finished command alive.
    process.exit(code);
  };
}

export function isUserError(err: unknown): err is Error {
  return err instanceof UserError || err instanceof BrookError || err instanceof KafkaError || isOperatingError(err);
}

function reportError(err: unknown): number {
  if (isUserError(err)) {
    process.stderr.write(`brook: ${describeError(err)}\n`);
  } else {
    process.stderr.write(`brook: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  return EXIT_FAILURE;
}

/** commander value parsers: bad values become commander's one-line "invalid argument" error. */
export function parseNonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgument('must be a non-negative integer');
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseNonNegativeInteger(value);
  if (n === 0) throw new InvalidArgument('must be a positive integer');
  return n;
}

/** Collects repeated `--config key=value` flags into one object. */
export function collectConfig(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgument(`expected key=value, got '${value}'`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
