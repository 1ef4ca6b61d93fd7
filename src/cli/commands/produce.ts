/**
 * `brook produce <topic>`: stdin lines become records. The input is pulled one chunk at a time
 * and the next chunk is read only while the producer has room (its bufferBytes bound), so memory
 * stays bounded however large the input (or a single line: see lines.ts). Exit 0 only when every
 * line was stored (or skipped on purpose); otherwise the first line not stored is named, so
 * `tail -n +N | brook produce` resumes exactly (produce-run.ts).
 */
import { Command, Option } from 'commander';
import { addAbortSignal, type Readable } from 'node:stream';
import { MESSAGE_MAX_BYTES_LIMIT } from '../../common/limits.js';
import { COMPRESSION_NAMES, type CompressionName } from '../../protocol/compression.js';
import type { Acks, BrookBackend } from '../../embedded/backend.js';
import { Producer } from '../../embedded/producer.js';
import { TopicMetadata } from '../../embedded/topic-metadata.js';
import { action, EXIT_FAILURE, exitCodeFor, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import { inputChunks } from '../input.js';
import type { LongLinePolicy } from '../lines.js';
import { LineError, ProduceRun } from '../produce-run.js';
import { parseJsonLine, type LineRecord } from '../record-format.js';
import { describeError } from '../os-errors.js';
import { plural } from '../throughput.js';
import { UserError } from '../user-error.js';

export interface ProduceOptions {
  format: 'text' | 'json';
  keySeparator?: string;
  skipInvalid?: boolean;
  partition?: number;
  acks: Acks;
  compression: CompressionName;
  lingerMs: number;
  batchBytes: number;
  maxLineBytes?: number;
  longLines?: LongLinePolicy;
  stripCr?: boolean;
}

export interface ProduceOutcome {
  recordCount: number;
  byteCount: number;
  skippedCount: number;
  truncatedCount: number;
  seconds: number;
  recordsPerSec: number;
  /** Lines of the input read to their end. */
  linesRead: number;
  /** The first line not stored (null when every line read was), for `tail -n +N`. */
  firstUnstoredLine: number | null;
  /** Why the run stopped early, as the one line printed; null when it did not. */
  error: string | null;
  summary: string;
  exitCode: number;
}

export function produceCommand(): Command {
  return new Command('produce')
    .description('write stdin lines to a topic, one record per line')
    .argument('<topic>')
    .addOption(new Option('--format <format>', 'text: each line is a value; json: each line is {"key","value","headers","partition"}')
      .choices(['text', 'json']).default('text'))
    .option('-K, --key-separator <sep>', 'text lines are key<sep>value (a line without <sep> has no key)')
    .option('--skip-invalid', 'skip lines that cannot be records with a warning instead of stopping: bad JSON lines, and lines over --max-line-bytes (text: the same as --long-lines skip)')
    .option('--max-line-bytes <n>', 'longest line taken (default: the largest record the topic accepts, from its max.message.bytes and segment.bytes; json: 64 MiB)', parsePositiveInteger)
    .addOption(new Option('--long-lines <policy>', 'a line over --max-line-bytes: skip it (with a warning), truncate it to the limit, or fail (stop before it)')
      .choices(['skip', 'truncate', 'fail']))
    .option('--strip-cr', 'drop a carriage return at the end of each line (CRLF input); by default every byte is kept')
    .option('-p, --partition <p>', 'write every record to this partition (default: by key, keyless ones spread)', parseNonNegativeInteger)
    .addOption(new Option('--acks <acks>', 'acknowledgement: 0, 1 or all (one host: 1 = all)').choices(['0', '1', 'all']).default('all'))
    .addOption(new Option('--compression <codec>', 'batch compression').choices(COMPRESSION_NAMES).default('none'))
    .option('--no-auto-create', "fail if the topic does not exist (default: create it, as Kafka's auto.create.topics.enable)")
    .option('--partitions <n>', 'partitions for an auto-created topic (num.partitions)', parsePositiveInteger, 1)
    .option('--linger-ms <ms>', 'how long a batch waits for more records', parseNonNegativeInteger, 5)
    .option('--batch-bytes <n>', 'largest batch (lowered to what the topic accepts)', parsePositiveInteger, 1_048_576)
    .option('--json', 'print the summary as one JSON object on stdout instead of text on stderr')
    .addHelpText('after', `
Unknown topics are created with --partitions (default 1) partitions, like Kafka's default
auto.create.topics.enable=true; pass --no-auto-create to refuse them. A summary (records, bytes,
records/s) goes to stderr, or with --json to stdout as {"topic","recordCount","byteCount",
"skippedCount","truncatedCount","seconds","recordsPerSec","linesRead","firstUnstoredLine",
"error"}; on a terminal a live rate too.

Lines: a line ends at \n; a \r before it stays in the record unless --strip-cr, so CRLF input
comes back from \`brook consume\` byte for byte. A line over --max-line-bytes is skipped with a
warning by default (the pipeline goes on; the summary counts it), or truncated, or stops the run.

Failures: records are stored in input order, and a failure (disk full, a record the topic
refuses, bad JSON) stops the run at the first line not stored. Every line before it is stored,
none from it on (except keyed lines spread over several partitions: the error says how many later
ones were); the error names the line, so \`tail -n +N file | brook produce <topic>\` resumes
exactly. Exit codes: 0 every line stored; 1 an error; 130 (SIGINT) or 143 (SIGTERM) interrupted,
after storing every line read.

Examples:
  seq 1 1000000 | brook produce numbers
  tail -F app.log | brook produce app-logs --key-separator ' '
  echo '{"key":"k1","value":"v1","headers":{"source":"cli"}}' | brook produce events --format json`)
    .action(action(async (ctx, topic: string, opts: Omit<ProduceOptions, 'acks'> & { acks: string; autoCreate: boolean; partitions: number; json?: boolean }) => {
      const backend = await ctx.backend({ autoCreateTopics: opts.autoCreate, numPartitions: opts.partitions, groups: false });
      const acks: Acks = opts.acks === 'all' ? 'all' : opts.acks === '0' ? 0 : 1;
      const outcome = await produceLines(backend, topic, 'stdin', { ...opts, acks }, ctx.signal, ctx.warn);
      if (opts.json) {
        const { recordCount, byteCount, skippedCount, truncatedCount, seconds, recordsPerSec, linesRead, firstUnstoredLine, error } = outcome;
        process.stdout.write(`${JSON.stringify({ topic, recordCount, byteCount, skippedCount, truncatedCount, seconds, recordsPerSec, linesRead, firstUnstoredLine, error })}\n`);
        if (error !== null) ctx.warn(error);
      } else {
        process.stderr.write(outcome.error === null ? `${outcome.summary}\n` : `brook: ${outcome.error}\n`);
      }
      return outcome.exitCode;
    }));
}

/** The command's core, also used by `brook demo`. Throws UserError for a bad flag or an unknown topic. */
export async function produceLines(
  backend: BrookBackend,
  topic: string,
  /** 'stdin': file descriptor 0, read directly (input.ts). */
  input: Readable | 'stdin',
  options: ProduceOptions,
  signal: AbortSignal,
  warn: (message: string) => void,
): Promise<ProduceOutcome> {
  const parse = lineParser(options); // flag errors before anything is read or created
  const longLines = longLinePolicy(options);
  const producer = new Producer(backend, {
    acks: options.acks,
    compression: options.compression,
    lingerMs: options.lingerMs,
    batchBytes: options.batchBytes,
    // One batch in flight: the order records are stored in is the input's, so a failure leaves a prefix.
    maxInFlight: 1,
  });
  const metadata = new TopicMetadata(backend);
  if (!backend.autoCreateTopics) await metadata.partitionCount(topic); // unknown topic: fail before reading
  const run = new ProduceRun(producer, metadata, topic, {
    keySeparator: options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8'),
    partition: options.partition,
    stripCarriageReturn: options.stripCr === true,
    maxLineBytes: parse === null ? options.maxLineBytes : (options.maxLineBytes ?? MESSAGE_MAX_BYTES_LIMIT),
    longLines,
    flush: () => backend.flush(),
  }, signal, warn);
  if (input !== 'stdin') addAbortSignal(signal, input);
  const chunks = inputChunks(input, signal, () => run.lastChunkFree());
  try {
    if (parse === null) await run.sendText(chunks);
    else await run.sendParsed(chunks, parse, options.skipInvalid === true);
  } catch (err) {
    if (!signal.aborted) {
      await producer.close().catch(() => undefined); // what was handed over still goes (it is a prefix)
      throw err;
    }
  }
  await producer.close();
  return outcome(run, topic);
}

function outcome(run: ProduceRun, topic: string): ProduceOutcome {
  const { throughput } = run;
  const text = throughput.finish();
  const unstored = run.firstUnstored();
  let error: string | null = null;
  if (run.failure !== null || run.stoppedAt !== null) {
    const line = unstored!.line;
    const reason = run.stoppedAt !== null ? run.stoppedAt.message : `line ${line} was not stored: ${describeError(run.failure)}`;
    const stored = throughput.recordCount - unstored!.storedAfterCount;
    error = `${reason}; ${stored === 0 ? 'nothing before it was stored' : `the ${plural(stored, 'record')} before it ${stored === 1 ? 'is' : 'are'} stored`}, ` +
      (unstored!.storedAfterCount > 0
        ? `and ${plural(unstored!.storedAfterCount, 'record')} of later lines (keyed lines on other partitions): resuming from line ${line} would store ${unstored!.storedAfterCount === 1 ? 'it' : 'them'} twice`
        : `none from it on: resume with \`tail -n +${line} <input> | brook produce ${topic}\``);
  }
  const extras = [
    run.skippedCount > 0 ? `skipped ${plural(run.skippedCount, 'line')}` : '',
    run.truncatedCount > 0 ? `truncated ${plural(run.truncatedCount, 'line')} to ${run.maxLineBytes} bytes` : '',
  ].filter((e) => e !== '');
  let summary = `produced ${text} to '${topic}'${extras.length > 0 ? `; ${extras.join(', ')}` : ''}`;
  if (run.signal.aborted && error === null && unstored !== null) summary += `; interrupted: the next line to send is ${unstored.line}`;
  return {
    recordCount: throughput.recordCount, byteCount: throughput.byteCount, skippedCount: run.skippedCount, truncatedCount: run.truncatedCount,
    seconds: throughput.elapsedSeconds(), recordsPerSec: throughput.recordsPerSec(), linesRead: run.linesRead,
    firstUnstoredLine: unstored?.line ?? null, error, summary,
    exitCode: error !== null ? EXIT_FAILURE : exitCodeFor(run.signal),
  };
}

/** The per-line parser for JSON lines; null for text lines, which take the bulk path. */
function lineParser(options: ProduceOptions): ((line: Buffer) => LineRecord) | null {
  if (options.format === 'json') {
    if (options.keySeparator !== undefined) throw new UserError('--key-separator applies to --format text only');
    if (options.longLines === 'truncate') throw new UserError('--long-lines truncate applies to --format text only (a cut JSON line is not JSON)');
    return (line) => {
      try {
        return parseJsonLine(line);
      } catch (err) {
        throw new LineError((err as Error).message);
      }
    };
  }
  if (options.keySeparator === '') throw new UserError('--key-separator must not be empty');
  return null;
}

function longLinePolicy(options: ProduceOptions): LongLinePolicy {
  if (options.skipInvalid && options.longLines !== undefined && options.longLines !== 'skip') {
    throw new UserError(`--skip-invalid skips long lines: it contradicts --long-lines ${options.longLines}`);
  }
  return options.longLines ?? 'skip';
}
