/**
 * `brook produce <topic>`: stdin lines become records. The input is pulled one chunk at a time
 * and the next chunk is read only while the producer has room (its bufferBytes bound), so memory
 * stays bounded however large the input. Exit 0 only when every record was acknowledged.
 */
import { Command, Option } from 'commander';
import { addAbortSignal, type Readable } from 'node:stream';
import { MESSAGE_MAX_BYTES_LIMIT } from '../../common/limits.js';
import { COMPRESSION_NAMES, type CompressionName } from '../../protocol/compression.js';
import type { Acks, BrookBackend } from '../../embedded/backend.js';
import { Producer } from '../../embedded/producer.js';
import { TopicMetadata } from '../../embedded/topic-metadata.js';
import { action, EXIT_INTERRUPTED, EXIT_OK, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import { LineTooLongError, readLineChunks, readLineRuns } from '../lines.js';
import { parseJsonLine, type LineRecord } from '../record-format.js';
import { Throughput } from '../throughput.js';
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
}

export interface ProduceOutcome {
  recordCount: number;
  byteCount: number;
  skippedCount: number;
  seconds: number;
  recordsPerSec: number;
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
    .option('--skip-invalid', 'skip bad JSON lines with a warning instead of stopping')
    .option('-p, --partition <p>', 'write every record to this partition (default: by key, keyless ones spread)', parseNonNegativeInteger)
    .addOption(new Option('--acks <acks>', 'acknowledgement: 0, 1 or all (one host: 1 = all)').choices(['0', '1', 'all']).default('all'))
    .addOption(new Option('--compression <codec>', 'batch compression').choices(COMPRESSION_NAMES).default('none'))
    .option('--no-auto-create', "fail if the topic does not exist (default: create it, as Kafka's auto.create.topics.enable)")
    .option('--partitions <n>', 'partitions for an auto-created topic (num.partitions)', parsePositiveInteger, 1)
    .option('--linger-ms <ms>', 'how long a batch waits for more records', parseNonNegativeInteger, 5)
    .option('--batch-bytes <n>', 'largest batch', parsePositiveInteger, 1_048_576)
    .option('--json', 'print the summary as one JSON object on stdout instead of text on stderr')
    .addHelpText('after', `
Unknown topics are created with --partitions (default 1) partitions, like Kafka's default
auto.create.topics.enable=true; pass --no-auto-create to refuse them. A summary (records, bytes,
records/s) goes to stderr, or with --json to stdout as {"topic","recordCount","byteCount",
"skippedCount","seconds","recordsPerSec"}; on a terminal a live rate too. Exit 0 only if every record was
acknowledged. With --format json a bad line stops the run (lines before it are written, that line
and later ones are not) unless --skip-invalid.

Examples:
  seq 1 1000000 | brook produce numbers
  tail -F app.log | brook produce app-logs --key-separator ' '
  echo '{"key":"k1","value":"v1","headers":{"source":"cli"}}' | brook produce events --format json`)
    .action(action(async (ctx, topic: string, opts: Omit<ProduceOptions, 'acks'> & { acks: string; autoCreate: boolean; partitions: number; json?: boolean }) => {
      const backend = await ctx.backend({ autoCreateTopics: opts.autoCreate, numPartitions: opts.partitions });
      const acks: Acks = opts.acks === 'all' ? 'all' : opts.acks === '0' ? 0 : 1;
      const outcome = await produceLines(backend, topic, process.stdin, { ...opts, acks }, ctx.signal, ctx.warn);
      if (opts.json) {
        const { recordCount, byteCount, skippedCount, seconds, recordsPerSec } = outcome;
        process.stdout.write(`${JSON.stringify({ topic, recordCount, byteCount, skippedCount, seconds, recordsPerSec })}\n`);
      } else {
        process.stderr.write(`${outcome.summary}\n`);
      }
      return outcome.exitCode;
    }));
}

/** The command's core, also used by `brook demo`. Throws UserError for a bad line or flag. */
export async function produceLines(
  backend: BrookBackend,
  topic: string,
  input: Readable,
  options: ProduceOptions,
  signal: AbortSignal,
  warn: (message: string) => void,
): Promise<ProduceOutcome> {
  const parse = lineParser(options); // flag errors before anything is read or created
  const producer = new Producer(backend, {
    acks: options.acks,
    compression: options.compression,
    lingerMs: options.lingerMs,
    batchBytes: options.batchBytes,
  });
  const metadata = new TopicMetadata(backend);
  if (!backend.autoCreateTopics) await metadata.partitionCount(topic); // unknown topic: fail before reading
  const run: Run = { producer, metadata, topic, options, signal, throughput: new Throughput(), sentCount: 0, failure: null };
  let skippedCount = 0;
  let badLine: UserError | null = null;
  addAbortSignal(signal, input);
  try {
    if (parse === null) await sendTextLines(run, input);
    else ({ skippedCount, badLine } = await sendParsedLines(run, input, parse, warn));
  } catch (err) {
    if (!signal.aborted) throw err; // an abort ends the read with AbortError: handled below
  }
  await producer.close();
  const { throughput, sentCount } = run;
  const summary = `produced ${throughput.finish()} to '${topic}'`;
  const lost = sentCount - throughput.recordCount;
  const f = run.failure as Error | null;
  if (badLine !== null) {
    const before = throughput.recordCount;
    throw new UserError(`${badLine.message}; nothing from it or later lines was written` +
      (before > 0 ? ` (the ${before} records before it were)` : ''));
  }
  if (f !== null) throw new UserError(`${lost} of ${sentCount} records were not acknowledged: ${f.message}`);
  const exitCode = signal.aborted ? EXIT_INTERRUPTED : EXIT_OK;
  return { recordCount: throughput.recordCount, byteCount: throughput.byteCount, skippedCount, seconds: throughput.elapsedSeconds(), recordsPerSec: throughput.recordsPerSec(), summary, exitCode };
}

/** State shared by the two input paths. */
interface Run {
  producer: Producer;
  metadata: TopicMetadata;
  topic: string;
  options: ProduceOptions;
  signal: AbortSignal;
  throughput: Throughput;
  /** Records handed to the producer (counted as they settle on the bulk path). */
  sentCount: number;
  failure: Error | null;
}

/**
 * Text lines, the fast path: runs of whole lines go to producer.sendLines(), which encodes them
 * straight into record batches, with one promise per input chunk instead of one per line.
 */
async function sendTextLines(run: Run, input: Readable): Promise<void> {
  const { producer, topic, options } = run;
  const sendOptions = {
    keySeparator: options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8'),
    partition: options.partition,
  };
  let checked = false;
  try {
    for await (const lines of readLineRuns(input, MESSAGE_MAX_BYTES_LIMIT)) {
      if (!checked) {
        checkPartition(options.partition, await run.metadata.partitionCount(topic), topic, UserError);
        checked = true;
      }
      producer.sendLines(topic, lines, sendOptions).then((result) => {
        run.throughput.add(result.recordCount, result.byteCount);
        run.sentCount += result.recordCount + result.failedCount;
        run.failure ??= result.error;
      }, (err: Error) => (run.failure ??= err));
      if (run.failure !== null || run.signal.aborted) break;
      if (!producer.hasCapacity()) await producer.ready();
    }
  } catch (err) {
    if (!(err instanceof LineTooLongError)) throw err;
    await producer.flush(); // every line before it has settled: now sentCount numbers them
    throw new UserError(`line ${run.sentCount + err.linesBefore + 1} is longer than ${err.maxLineBytes} bytes`);
  }
}

/** JSON lines: parsed (and with --skip-invalid, skipped) one by one, each sent with its own promise. */
async function sendParsedLines(
  run: Run,
  input: Readable,
  parse: (line: Buffer) => LineRecord,
  warn: (message: string) => void,
): Promise<{ skippedCount: number; badLine: UserError | null }> {
  const { producer, topic, options } = run;
  let partitionCount: number | undefined;
  let lineNumber = 0;
  let skippedCount = 0;
  reading: for await (const lines of readLineChunks(input, MESSAGE_MAX_BYTES_LIMIT)) {
    for (const line of lines) {
      lineNumber++;
      let record: LineRecord;
      try {
        record = parse(line);
        partitionCount ??= await run.metadata.partitionCount(topic);
        checkPartition(options.partition, partitionCount, topic, UserError);
        checkPartition(record.partition, partitionCount, topic, LineError);
      } catch (err) {
        if (err instanceof LineError && options.skipInvalid) {
          warn(`line ${lineNumber}: ${err.message} (skipped)`);
          skippedCount++;
          continue;
        }
        if (!(err instanceof LineError)) throw err;
        return { skippedCount, badLine: new UserError(`line ${lineNumber}: ${err.message}`) };
      }
      const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
      run.sentCount++;
      producer.send({ topic, ...record, partition: record.partition ?? options.partition }).then(
        () => run.throughput.add(1, bytes),
        (err: Error) => (run.failure ??= err),
      );
    }
    if (run.failure !== null || run.signal.aborted) break reading;
    if (!producer.hasCapacity()) await producer.ready();
  }
  return { skippedCount, badLine: null };
}

/** A problem with one input line (as opposed to the run). */
class LineError extends Error {}

/** The per-line parser for JSON lines; null for text lines, which take the bulk path. */
function lineParser(options: ProduceOptions): ((line: Buffer) => LineRecord) | null {
  if (options.format === 'json') {
    if (options.keySeparator !== undefined) throw new UserError('--key-separator applies to --format text only');
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

function checkPartition(partition: number | undefined, partitionCount: number, topic: string, kind: new (m: string) => Error): void {
  if (partition === undefined || partition < partitionCount) return;
  throw new kind(`partition ${partition} does not exist: topic '${topic}' has ${partitionCount} partition${partitionCount === 1 ? '' : 's'}`);
}
