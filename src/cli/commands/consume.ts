/**
 * `brook consume <topic>`: records to stdout, one per line. Without --follow it stops at the high
 * watermarks seen at start; with it, it waits for new records like `tail -f`. It ends cleanly
 * (exit 0) on SIGINT/SIGTERM and when stdout closes (EPIPE, e.g. `| head`), and writes only as
 * fast as stdout drains.
 */
import { Command, Option } from 'commander';
import type { Writable } from 'node:stream';
import { LATEST_TIMESTAMP, type BrookBackend } from '../../embedded/backend.js';
import { KafkaError } from '../../embedded/kafka-error.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Consumer, type StartPosition } from '../../embedded/consumer.js';
import { action, exitCodeFor, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import { OutputBuffer } from '../bulk-output.js';
import type { OutputFormat } from '../record-format.js';

export interface ConsumeOptions {
  fromBeginning?: boolean;
  offset?: number;
  partition?: number;
  maxMessages?: number;
  follow?: boolean;
  format: OutputFormat;
  keySeparator?: string;
  /** Join this consumer group: share the partitions with its other members, resume from and commit its offsets. */
  group?: string;
}

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print a topic\'s records to stdout, one per line')
    .argument('<topic>')
    .option('--from-beginning', 'start at each partition\'s log start offset')
    .addOption(new Option('--offset <n>', 'start at this offset in each partition read').argParser(parseNonNegativeInteger).conflicts('fromBeginning'))
    .option('-p, --partition <p>', 'read only this partition', parseNonNegativeInteger)
    .option('-n, --max-messages <n>', 'stop after n records', parsePositiveInteger)
    .option('-f, --follow', 'keep waiting for new records (like tail -f) until interrupted')
    .addOption(new Option('--format <format>', 'value: the value per line; json: {topic,partition,offset,timestamp,key,value,headers}')
      .choices(['value', 'json']).default('value'))
    .option('-K, --key-separator <sep>', 'with --format value, print key<sep>value')
    .addOption(new Option('-g, --group <group>', 'consume as a member of this consumer group: start at its committed offsets, commit what is printed')
      .conflicts(['offset', 'partition']))
    .addHelpText('after', `
Start: --from-beginning, --offset <n>, or by default the beginning without --follow (read what is
there, then stop at the high watermark seen at start) and the end with --follow (only new records,
as Kafka's console consumer). Within a partition records come in offset order. Keys and values are
printed as UTF-8; a null value prints as an empty line (json: null).

With --group the group's committed offsets decide where each partition starts (--from-beginning
or --follow only choose where a partition without one starts), offsets are committed as records
are printed and on exit, and a second run continues where the group left off. Without --follow it
stops once its partitions are caught up.

Examples:
  brook consume numbers --from-beginning | wc -l
  brook consume app-logs --group archiver
  brook consume app-logs --follow --format json
  brook consume events --partition 2 --offset 1000 --max-messages 10`)
    .action(action(async (ctx, topic: string, opts: ConsumeOptions) => {
      // Without --group nothing needs the coordinator workers: do not wait for them to start.
      const backend = await ctx.backend({ autoCreateTopics: false, groups: opts.group !== undefined });
      await consumeTo(backend, topic, process.stdout, opts, ctx.signal);
      return exitCodeFor(ctx.signal);
    }));
}

/** The command's core, also used by `brook demo`. Resolves with the number of records written. */
export async function consumeTo(
  backend: BrookBackend,
  topic: string,
  out: Writable,
  options: ConsumeOptions,
  signal: AbortSignal,
): Promise<number> {
  const from: StartPosition = options.offset !== undefined
    ? { offset: options.offset }
    : options.fromBeginning || !options.follow ? 'beginning' : 'end';
  const consumer = options.group === undefined
    ? new Consumer(backend, {
        topic,
        partitions: options.partition === undefined ? undefined : [options.partition],
        from,
        follow: options.follow === true,
      })
    : new Consumer(backend, { topic, groupId: options.group, from: from === 'end' ? 'end' : 'beginning' });
  if (options.group !== undefined && (await backend.describeTopic(topic)) === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' does not exist`);
  const stopWhenCaughtUp = options.group !== undefined && options.follow !== true;
  let outputClosed = false;
  const stop = () => void consumer.close();
  const onOutputError = (err: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): a normal end for a pipeline, not an error.
    if (err.code !== 'EPIPE') process.stderr.write(`brook: cannot write output: ${err.message}\n`);
    outputClosed = true;
    stop();
  };
  signal.addEventListener('abort', stop);
  out.on('error', onOutputError);
  const keySeparator = options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8');
  const output = new OutputBuffer(options.format, keySeparator);
  // The write callback runs once the stream is done with the bytes: their buffer can be reused.
  const release = () => output.release();
  const maxMessages = options.maxMessages ?? Infinity;
  let writtenCount = 0;
  try {
    while (writtenCount < maxMessages && !outputClosed) {
      if (options.group === undefined) {
        // No commits to account for: format straight from the fetched batch bytes.
        const fetched = await consumer.pollBatches();
        if (fetched === null) break;
        for (const partitionBatches of fetched) writtenCount += output.addBatches(partitionBatches, maxMessages - writtenCount);
      } else {
        const records = await consumer.poll(maxMessages - writtenCount);
        if (records === null) break;
        if (records.length === 0 && stopWhenCaughtUp && (await caughtUp(backend, consumer))) break;
        for (const record of records) {
          if (writtenCount >= maxMessages) break;
          output.add(record);
          writtenCount++;
        }
      }
      const bytes = output.take(); // one write per poll
      if (bytes !== null && !outputClosed && !out.write(bytes, release)) await drained(out, signal);
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await consumer.close();
    out.off('error', onOutputError);
    if (outputClosed) out.on('error', () => undefined); // late EPIPEs from buffered writes
  }
  return writtenCount;
}

/** A group member has an assignment and has read each of its partitions up to the log end. */
async function caughtUp(backend: BrookBackend, consumer: Consumer): Promise<boolean> {
  const member = consumer.groupMember!;
  const partitions = member.assignment();
  if (partitions.length === 0) return false;
  for (const partition of partitions) {
    const latest = await backend.listOffset(member.topic, partition, LATEST_TIMESTAMP);
    if (latest.errorCode !== ErrorCode.NONE || (member.position(partition) ?? 0) < latest.offset) return false;
  }
  return true;
}

/** Waits until `out` wants more, or until there is no point waiting (closed, errored, aborted). */
function drained(out: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
    signal.addEventListener('abort', done);
  });
}
