/**
 * `brook tail PATH|GLOB... --topic T` and `brook tail --journald --topic T`: follow files (or the
 * systemd journal) into a topic until SIGINT/SIGTERM, with durable checkpoints (src/inputs/tail/,
 * src/inputs/journald/). Registered by src/cli/main.ts.
 *
 * The work is the inputs' (InputSet, the same code `brook serve --tail` runs); this file is flags,
 * the checkpoint's place, a live line on a terminal, and the exit code: 0 after a clean stop with
 * everything read acknowledged and checkpointed, 1 when the log refused to take the lines.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { COMPRESSION_NAMES, type CompressionName } from '../../protocol/compression.js';
import { action, EXIT_FAILURE, EXIT_OK, parsePositiveInteger } from '../context.js';
import { UserError } from '../user-error.js';

interface TailFlags {
  topic: string;
  journald?: boolean;
  journaldArg: string[];
  journalctl: string;
  keyField?: string;
  partitioner: 'key' | 'round-robin';
  multilineStart?: string;
  multilineTimeoutMs: number;
  maxLineBytes: number;
  maxLinePolicy: 'truncate' | 'skip';
  fromEnd?: boolean;
  checkpointDir?: string;
  name?: string;
  autoCreate: boolean;
  partitions: number;
  compression: CompressionName;
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function tailCommand(): Command {
  return new Command('tail')
    .description('follow files (rotation, new files, multi-line events) or the systemd journal into a topic, resuming where it stopped')
    .argument('[paths...]', 'files or glob patterns (quote them: the patterns are re-read to find new files)')
    .requiredOption('-t, --topic <topic>', 'topic to write to; {field} templates allowed (fields: path, and a JSON line\'s own)')
    .option('--journald', 'follow the systemd journal (journalctl -o json -f) instead of files')
    .option('--journald-arg <arg>', 'pass an argument to journalctl (repeatable), e.g. --journald-arg=--unit=nginx', collect, [])
    .option('--journalctl <path>', 'the journalctl to run', 'journalctl')
    .option('--key-field <field>', 'record key from this field (files: path or a JSON line\'s field; journald: e.g. _HOSTNAME)')
    .addOption(new Option('--partitioner <name>', 'by key (murmur2; keyless records spread) or round-robin').choices(['key', 'round-robin']).default('key'))
    .option('--multiline-start <regex>', 'a line matching REGEX starts an event; other lines join it (stack traces)')
    .option('--multiline-timeout-ms <ms>', 'an event quiet this long is complete', parsePositiveInteger, 1000)
    .option('--max-line-bytes <n>', 'longest line or event kept', parsePositiveInteger, 102_400)
    .addOption(new Option('--max-line-policy <policy>', 'past --max-line-bytes: truncate (brook.truncated header) or skip (counted)').choices(['truncate', 'skip']).default('truncate'))
    .option('--from-end', 'at the very first start, skip what is already there (default: read from the beginning)')
    .option('--checkpoint-dir <dir>', 'where positions are kept (default: <data-dir>/__inputs)')
    .option('--name <name>', 'checkpoint name, to run several tails into one topic (default: tail-<topic> / journald-<topic>)')
    .option('--no-auto-create', 'fail if the topic does not exist')
    .option('--partitions <n>', 'partitions for an auto-created topic (num.partitions)', parsePositiveInteger, 1)
    .addOption(new Option('--compression <codec>', 'batch compression').choices(COMPRESSION_NAMES).default('none'))
    .option('--json', 'at exit, print the counters as one JSON object on stdout')
    .addHelpText('after', `
Runs until Ctrl-C / SIGTERM, then waits until everything read is acknowledged (acks=all) and saves
the checkpoint: the next run resumes there, with no line lost or repeated. After a SIGKILL, no line
is lost; lines after the last checkpoint (at most about 5 MiB per file, and the last second's) are
sent again. Files are recognised by device/inode plus a fingerprint of their first bytes, across
rename-and-create and copytruncate rotation; new files matching a pattern are read from their start.

Examples:
  brook tail '/var/log/app/*.log' --topic app-logs
  brook tail /var/log/app.log --topic app-logs --multiline-start '^\\d{4}-\\d{2}-\\d{2}'
  brook tail '/var/log/nginx/*.log' --topic 'web.{path}' --broker 127.0.0.1:9092
  brook tail --journald --topic journal --journald-arg=--unit=ssh --key-field _HOSTNAME`)
    .action(action(async (ctx, paths: string[], flags: TailFlags) => {
      if (flags.journald === true && paths.length > 0) throw new UserError('give paths or --journald, not both');
      if (flags.journald !== true && paths.length === 0) throw new UserError('give at least one path or pattern (or --journald)');
      const backend = await ctx.backend({ autoCreateTopics: flags.autoCreate, numPartitions: flags.partitions, groups: false });
      const { InputSet } = await import('../../inputs/input-set.js');
      const kind = flags.journald === true ? 'journald' : 'tail';
      const name = flags.name ?? `${kind}-${flags.topic.replace(/[^a-zA-Z0-9._-]/g, '_')}`;
      const checkpointFile = path.join(flags.checkpointDir ?? path.join(ctx.globals.dataDir, '__inputs'), `${name}.json`);
      const routing = { topic: flags.topic, keyField: flags.keyField, partitioner: flags.partitioner };
      const lines = { maxLineBytes: flags.maxLineBytes, maxLinePolicy: flags.maxLinePolicy, fromEnd: flags.fromEnd };
      const inputs = await InputSet.start(backend, {
        producer: { compression: flags.compression },
        tail: kind === 'tail' ? [{ ...routing, ...lines, paths, checkpointFile, multilineStart: flags.multilineStart, multilineTimeoutMs: flags.multilineTimeoutMs }] : [],
        journald: kind === 'journald' ? [{ ...routing, ...lines, checkpointFile, journalctl: flags.journalctl, journalctlArgs: flags.journaldArg }] : [],
      }, ctx.warn);
      const started = kind === 'tail' ? `following ${inputs.tail[0]!.fileCount} files` : 'following the journal';
      ctx.warn(`${inputs.stats[0]!.name}: ${started} (checkpoint ${checkpointFile})`);
      const live = liveLine(() => inputs.stats[0]!.counts.acknowledgedCount);
      const stopped = new Promise<Error | null>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(null), { once: true });
        void inputs.failed.then(resolve);
      });
      const failure = await stopped;
      await inputs.close();
      live?.stop();
      const counts = inputs.stats[0]!.toJSON();
      if (flags.json) process.stdout.write(`${JSON.stringify(counts)}\n`);
      else process.stderr.write(`brook: ${counts.name}: ${counts.acknowledgedCount} records acknowledged, checkpoint ${checkpointFile}\n`);
      return failure === null ? EXIT_OK : EXIT_FAILURE;
    }));
}

/** A live "N records" line on a terminal (not in CI logs). */
function liveLine(count: () => number): { stop(): void } | null {
  if (!process.stderr.isTTY || process.env.CI) return null;
  const startedMs = Date.now();
  const timer = setInterval(() => {
    const seconds = (Date.now() - startedMs) / 1000;
    process.stderr.write(`\r\x1b[K${count()} records (${Math.round(count() / seconds)}/s)`);
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[K');
    },
  };
}
