/**
 * The read loop of `brook consume` (also used by `brook demo`): poll, format, one write per poll,
 * wait for stdout to drain. Plain value output without --grep goes the fast way, formatting
 * straight from the fetched batch bytes (bulk-output.ts); JSON, templates, --grep and group
 * members decode each record.
 */
import type { Writable } from 'node:stream';
import { LATEST_TIMESTAMP, type BrookBackend } from '../embedded/backend.js';
import { KafkaError } from '../embedded/kafka-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { DecodeError } from '../protocol/decode-error.js';
import { Consumer, CorruptDataError, type ConsumerRecord, type StartPosition } from '../embedded/consumer.js';
import { describeCorrupt } from '../embedded/fetch-checks.js';
import { OutputBuffer } from './bulk-output.js';
import type { OutputFormat, TimeFormat } from './output-format.js';
import { UserError } from './user-error.js';

export interface ConsumeOptions {
  fromBeginning?: boolean;
  offset?: number;
  /** Start at the first record at or after this time (epoch ms). */
  fromTime?: number;
  partition?: number;
  maxMessages?: number;
  follow?: boolean;
  format: OutputFormat;
  keySeparator?: string;
  /** Only records whose key or value (as UTF-8) matches. */
  grep?: RegExp;
  timeFormat?: TimeFormat;
  base64?: boolean;
  /** Join this consumer group: share the partitions with its other members, resume from and commit its offsets. */
  group?: string;
  /** Report damaged data (CRC-32C failures, unreadable offsets) and read on past it. */
  skipCorrupt?: boolean;
}

/** Resolves with the number of records written. */
export async function consumeTo(
  backend: BrookBackend,
  topic: string,
  out: Writable,
  options: ConsumeOptions,
  signal: AbortSignal,
  warn: (message: string) => void = () => undefined,
): Promise<number> {
  const consumer = makeConsumer(backend, topic, options, warn);
  if (options.group !== undefined && (await backend.describeTopic(topic)) === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' does not exist`);
  const stopWhenCaughtUp = options.group !== undefined && options.follow !== true;
  let outputClosed = false;
  const stop = () => void consumer.close();
  const onOutputError = (err: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): a normal end for a pipeline, not an error.
    if (err.code !== 'EPIPE') warn(`cannot write output: ${err.message}`);
    outputClosed = true;
    stop();
  };
  // Our listeners come on top of those worker threads add to stdout (an 'error' listener per
  // worker, past Node's default limit of 10 with a dozen partitions): allow what is there plus
  // ours, instead of tripping MaxListenersExceededWarning.
  const maxListeners = out.getMaxListeners();
  const present = Math.max(...['error', 'drain', 'close'].map((event) => out.listenerCount(event)));
  if (maxListeners !== 0) out.setMaxListeners(Math.max(maxListeners, present) + 4);
  signal.addEventListener('abort', stop);
  out.on('error', onOutputError);
  const keySeparator = options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8');
  const output = new OutputBuffer(options.format, keySeparator, { timeFormat: options.timeFormat ?? 'ms', base64: options.base64 === true });
  // The write callback runs once the stream is done with the bytes: their buffer can be reused.
  const release = () => output.release();
  const maxMessages = options.maxMessages ?? Infinity;
  const grep = options.grep;
  const fast = options.group === undefined && grep === undefined;
  let writtenCount = 0;
  try {
    while (writtenCount < maxMessages && !outputClosed) {
      if (fast) {
        // No commits to account for: format straight from the fetched batch bytes.
        const fetched = await consumer.pollBatches();
        if (fetched === null) break;
        for (const partitionBatches of fetched) {
          writtenCount += decoding(partitionBatches, () => output.addBatches(partitionBatches, maxMessages - writtenCount));
        }
      } else {
        const records = await consumer.poll(options.group === undefined ? undefined : maxMessages - writtenCount);
        if (records === null) break;
        if (records.length === 0 && stopWhenCaughtUp && (await caughtUp(backend, consumer))) break;
        for (const record of records) {
          if (writtenCount >= maxMessages) break;
          if (grep !== undefined && !matches(grep, record)) continue;
          output.add(record);
          writtenCount++;
        }
      }
      const bytes = output.take(); // one write per poll
      if (bytes !== null && !outputClosed && !out.write(bytes, release)) await drained(out, signal);
    }
  } catch (err) {
    if (err instanceof CorruptDataError) throw new UserError(`${err.message}; --skip-corrupt reports such data and reads on`);
    throw err;
  } finally {
    signal.removeEventListener('abort', stop);
    await consumer.close();
    out.off('error', onOutputError);
    if (maxListeners !== 0) out.setMaxListeners(maxListeners);
    if (outputClosed) out.on('error', () => undefined); // late EPIPEs from buffered writes
  }
  return writtenCount;
}

function makeConsumer(backend: BrookBackend, topic: string, options: ConsumeOptions, warn: (message: string) => void): Consumer {
  if (options.group !== undefined) {
    const from = options.fromBeginning || !options.follow ? 'beginning' : 'end';
    return new Consumer(backend, { topic, groupId: options.group, from });
  }
  const from: StartPosition = options.offset !== undefined ? { offset: options.offset }
    : options.fromTime !== undefined ? { timestamp: options.fromTime }
    : options.fromBeginning || !options.follow ? 'beginning' : 'end';
  return new Consumer(backend, {
    topic,
    partitions: options.partition === undefined ? undefined : [options.partition],
    from,
    follow: options.follow === true,
    onCorrupt: options.skipCorrupt ? (corrupt) => warn(`${describeCorrupt(corrupt)} (skipped)`) : undefined,
  });
}

/** Records whose bytes decode badly though their CRC matched (a faulty producer) get one line, not a stack. */
function decoding(fetched: { topic: string; partition: number }, format: () => number): number {
  try {
    return format();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new UserError(`malformed records in ${fetched.topic}-${fetched.partition}: ${err.message}`);
  }
}

function matches(grep: RegExp, record: ConsumerRecord): boolean {
  grep.lastIndex = 0;
  if (record.value !== null && grep.test(record.value.toString('utf8'))) return true;
  grep.lastIndex = 0;
  return record.key !== null && grep.test(record.key.toString('utf8'));
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
