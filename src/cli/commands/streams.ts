/**
 * `brook streams run|query|status`: runs a topology module as a streams application (Kafka
 * Streams' KafkaStreams in a process of its own), and asks running ones for their stores and
 * status over their query sockets. `run` works through --data-dir or --broker like every command;
 * several `run` processes of one application (with --broker) share its tasks.
 */
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { action, parseNonNegativeInteger, parsePositiveInteger, type CommandContext } from '../context.js';
import { UserError } from '../user-error.js';
import { KafkaStreams } from '../../streams/kafka-streams.js';
import { defaultStateDir } from '../../streams/config.js';
import { loadTopologyModule } from '../../streams/runtime/topology-module.js';
import type { AppStatus } from '../../streams/runtime/status.js';
import { LiveBlock, ratesOf, statusLines } from '../../streams/cli/status-view.js';
import { askAll, NoRunningApplicationError, queryStore } from '../../streams/cli/query-client.js';

interface RunOptions {
  applicationId?: string;
  threads?: number;
  stateDir?: string;
  commitIntervalMs?: number;
  statusIntervalMs: number;
  json?: boolean;
}

interface QueryOptions {
  stateDir?: string;
  from?: string;
  to?: string;
  timeFrom?: number;
  timeTo?: number;
  json?: boolean;
}

export function streamsCommand(): Command {
  const streams = new Command('streams').description('stream processing: run a topology (Kafka Streams style) and query its state');

  streams
    .command('run <app>')
    .description('run the topology module <app> (exports topology(builder), optionally config); Ctrl-C commits and exits')
    .option('--application-id <id>', "application.id: the group and internal topics' prefix (default: the module's config.applicationId)")
    .option('--threads <n>', "stream threads (default: the module's config, else one per core, at most 4)", parsePositiveInteger)
    .option('--state-dir <dir>', `where task state lives (default: the module's config, else ${defaultStateDir()})`)
    .option('--commit-interval-ms <ms>', 'commit.interval.ms (default: 30000)', parsePositiveInteger)
    .option('--status-interval-ms <ms>', 'how often the status is drawn or printed', parsePositiveInteger, 1000)
    .option('--json', 'print the status as one JSON object per line on stdout (every --status-interval-ms, and once at exit)')
    .addHelpText('after', `
A topology module (see examples/):
  import { Serdes, TimeWindows } from 'brook/streams';
  export const config = { applicationId: 'log-levels' };
  export function topology(builder) {
    builder.stream('logs').groupBy((key, line) => line.split(' ')[0]).count().toStream().to('counts', { valueSerde: Serdes.Long() });
  }
Query a running application: brook streams query <applicationId> <store> [key]`)
    .action(action((ctx, file: string, opts: RunOptions) => runApp(ctx, file, opts)));

  streams
    .command('query <app> <store> [key]')
    .description("read a running application's state store: one key, a key range, a time range, or everything")
    .option('--state-dir <dir>', `the application's state dir (default ${defaultStateDir()})`)
    .option('--from <key>', 'key-value stores: the first key of a range')
    .option('--to <key>', 'key-value stores: the last key of a range')
    .option('--time-from <ms>', 'window/session stores: windows from this time (epoch ms)', parseNonNegativeInteger)
    .option('--time-to <ms>', 'window/session stores: windows up to this time (epoch ms)', parseNonNegativeInteger)
    .option('--json', 'print the answer as JSON')
    .action(action(async (_ctx, app: string, store: string, key: string | undefined, opts: QueryOptions) => {
      const params = new URLSearchParams();
      if (key !== undefined) params.set('key', key);
      if (opts.from !== undefined) params.set('from', opts.from);
      if (opts.to !== undefined) params.set('to', opts.to);
      if (opts.timeFrom !== undefined) params.set('timeFrom', String(opts.timeFrom));
      if (opts.timeTo !== undefined) params.set('timeTo', String(opts.timeTo));
      const answer = await ask(() => queryStore(opts.stateDir ?? defaultStateDir(), app, store, params));
      if (opts.json) {
        process.stdout.write(JSON.stringify(answer) + '\n');
      } else {
        for (const e of answer.entries) {
          const window = e.window === undefined ? '' : `\t${e.window.start}..${e.window.end}`;
          process.stdout.write(`${text(e.key)}${window}\t${text(e.value)}\n`);
        }
      }
      if (key !== undefined && answer.entries.length === 0) throw new UserError(`no entry for key '${key}' in store '${store}'`);
    }));

  streams
    .command('status <app>')
    .description('the status of every running process of an application on this host')
    .option('--state-dir <dir>', `the application's state dir (default ${defaultStateDir()})`)
    .option('--json', 'print a JSON array, one status per process')
    .action(action(async (_ctx, app: string, opts: { stateDir?: string; json?: boolean }) => {
      const statuses = (await ask(() => askAll(opts.stateDir ?? defaultStateDir(), app, '/status'))) as AppStatus[];
      if (opts.json) process.stdout.write(JSON.stringify(statuses) + '\n');
      else for (const status of statuses) process.stdout.write(statusLines(status, { recordsPerSec: 0 }, 1000).join('\n') + '\n');
    }));

  return streams;
}

async function ask<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new UserError(err instanceof NoRunningApplicationError ? err.message : `query failed: ${(err as Error).message}`);
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function runApp(ctx: CommandContext, file: string, opts: RunOptions): Promise<number> {
  const mod = await loadTopologyModule(path.resolve(file)).catch((err: Error) => {
    throw new UserError(err.message);
  });
  const applicationId = opts.applicationId ?? mod.config.applicationId;
  if (applicationId === undefined) throw new UserError(`${file} has no config.applicationId; pass --application-id`);
  const backend = await ctx.backend();
  const app = new KafkaStreams(mod.href, backend, {
    ...mod.config,
    applicationId,
    numStreamThreads: opts.threads ?? mod.config.numStreamThreads ?? Math.min(4, os.availableParallelism()),
    stateDir: opts.stateDir ?? mod.config.stateDir,
    commitIntervalMs: opts.commitIntervalMs ?? mod.config.commitIntervalMs,
    log: (message) => ctx.warn(`streams: ${message}`),
  });
  try {
    await app.start();
  } catch (err) {
    throw new UserError(`cannot start application '${applicationId}': ${(err as Error).message}`);
  }
  ctx.warn(`streams: application '${applicationId}' started with ${app.config.numStreamThreads} thread(s); ` +
    `query it with: brook streams query ${applicationId} <store> [key] --state-dir ${app.config.stateDir}`);
  const live = !opts.json && process.stderr.isTTY === true && !process.env.CI ? new LiveBlock(process.stderr) : null;
  let previous: AppStatus | null = null;
  let previousMs = Date.now();
  const report = async (final: boolean): Promise<void> => {
    const status = await app.status();
    const now = Date.now();
    const rates = ratesOf(previous, status, now - previousMs);
    previous = status;
    previousMs = now;
    if (opts.json) process.stdout.write(JSON.stringify({ type: final ? 'stopped' : 'status', ...status, recordsPerSec: Math.round(rates.recordsPerSec) }) + '\n');
    else live?.draw(statusLines(status, rates));
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => void report(false).catch(() => undefined), opts.statusIntervalMs);
    const stop = (): void => {
      clearInterval(timer);
      resolve();
    };
    ctx.signal.addEventListener('abort', stop, { once: true });
    app.onStateChange((state) => {
      if (state === 'ERROR') stop();
    });
  });
  const failed = app.state === 'ERROR';
  const summary = await app.status();
  await app.close();
  if (opts.json) process.stdout.write(JSON.stringify({ type: 'stopped', ...summary, state: app.state }) + '\n');
  if (failed) throw new UserError(`application '${applicationId}' stopped: ${app.error?.message ?? 'unknown error'}`);
  ctx.warn(`streams: stopped after processing ${summary.totals.processedRecords.toLocaleString('en-US')} records (committed)`);
  return 0;
}
