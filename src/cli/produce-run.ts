/**
 * The core of `brook produce`: input lines to producer calls, and the account of what became of
 * every line, so that on any failure the command can say which line is the first one not stored.
 *
 * Line numbers are the input's (1-based, every line counted, skipped ones too). The producer runs
 * with maxInFlight 1 and is idempotent (unless acks 0): when a batch fails, nothing after it is
 * stored (Producer, "Failure"), so the stored lines are exactly those before the first failed
 * one, less the lines skipped on purpose; `tail -n +N | brook produce` resumes exactly. Keyed
 * lines spread over several partitions are the exception (their batches interleave); the
 * outcome then counts the records of later lines that were stored too.
 */
import { MESSAGE_MAX_BYTES_LIMIT } from '../common/limits.js';
import type { Producer, SendLinesResult } from '../embedded/producer.js';
import type { TopicMetadata } from '../embedded/topic-metadata.js';
import { LineReader, LongLineError, type LineRun, type LongLinePolicy } from './lines.js';
import type { LineRecord } from './record-format.js';
import { Throughput } from './throughput.js';
import { UserError } from './user-error.js';

/** Bytes a batch adds around one record: the batch header (61) and the record framing bound (36). */
export const LINE_OVERHEAD_BYTES = 61 + 36;
/** Warnings about skipped lines stop after this many (the summary counts them all). */
const LONG_LINE_WARNINGS_MAX = 10;

export interface RunOptions {
  keySeparator: Buffer | null;
  partition?: number;
  stripCarriageReturn: boolean;
  /** Undefined: the largest line the topic accepts. */
  maxLineBytes?: number;
  longLines: LongLinePolicy;
  /**
   * Asks the storage to write what it holds to disk (fsync). Called every FLUSH_EVERY_BYTES of
   * input, never more than one at a time, so the disk writes while lines are still being encoded
   * instead of all at once when the data dir is closed (see below). Undefined: never.
   */
  flush?: () => Promise<void>;
}

/**
 * Input bytes between two flushes. Closing a data dir fsyncs everything written since the last
 * flush; spread over the run, that disk time overlaps the encoding instead of adding to the end.
 */
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

export class ProduceRun {
  readonly throughput = new Throughput();
  /** The last input line dealt with (sent, or skipped): every line up to it was. */
  linesRead = 0;
  skippedCount = 0;
  truncatedCount = 0;
  /** Numbers of the skipped lines (to tell how many lie before the first unstored line). */
  private readonly skippedLines: number[] = [];
  /** The first line that failed, and why; Infinity while none has. */
  firstFailedLine = Infinity;
  failure: Error | null = null;
  /** A line that stops the run before it is sent (bad JSON): its message. */
  stoppedAt: { line: number; message: string } | null = null;
  maxLineBytes = 0;
  private bytesSinceFlush = 0;
  private flushing = false;

  constructor(
    readonly producer: Producer,
    readonly metadata: TopicMetadata,
    readonly topic: string,
    readonly options: RunOptions,
    readonly signal: AbortSignal,
    private readonly warn: (message: string) => void,
  ) {}

  /** Whether to send no more: also as soon as the producer saw a failure its promises have not told yet. */
  get stopped(): boolean {
    return this.failure !== null || this.producer.failure !== null || this.stoppedAt !== null || this.signal.aborted;
  }

  /** Text lines: runs of whole lines to producer.sendLines(), one call per run. */
  async sendText(chunks: AsyncIterable<Buffer | string>): Promise<void> {
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) return; // empty input: no topic is created
    const limits = await this.metadata.limits(this.topic);
    checkPartition(this.options.partition, limits.partitionCount, this.topic);
    this.maxLineBytes = this.lineLimit(limits.batchBytesMax);
    const reader = this.reader();
    const sendOptions = { keySeparator: this.options.keySeparator, partition: this.options.partition, stripCarriageReturn: this.options.stripCarriageReturn };
    try {
      for await (const run of reader.runs(prepend(first.value, iterator))) {
        if (this.stopped) break;
        this.producer.sendLines(this.topic, run.text, sendOptions).then((result) => this.settled(run, result));
        this.linesRead = run.firstLine + run.lineCount - 1;
        this.flushNow(run.text.length);
        if (this.stopped) break;
        if (!this.producer.hasCapacity()) await this.producer.ready();
      }
    } catch (err) {
      if (!(err instanceof LongLineError)) throw err;
      this.stoppedAt = { line: err.lineNumber, message: err.message };
    }
  }

  /** JSON lines: parsed one by one (a bad one stops the run, or is skipped), each sent on its own. */
  async sendParsed(chunks: AsyncIterable<Buffer | string>, parse: (line: Buffer) => LineRecord, skipInvalid: boolean): Promise<void> {
    this.maxLineBytes = this.options.maxLineBytes!;
    const reader = this.reader();
    let partitionCount: number | undefined;
    try {
      reading: for await (const run of reader.runs(chunks)) {
        let lineNumber = run.firstLine;
        for (let start = 0; start < run.text.length; lineNumber++) {
          const newline = run.text.indexOf(0x0a, start);
          const end = newline === -1 ? run.text.length : newline;
          const line = run.text.subarray(start, this.options.stripCarriageReturn && end > start && run.text[end - 1] === 0x0d ? end - 1 : end);
          start = end + 1;
          let record: LineRecord;
          try {
            record = parse(line);
            partitionCount ??= (await this.metadata.limits(this.topic)).partitionCount;
            checkPartition(this.options.partition, partitionCount, this.topic);
            checkLinePartition(record.partition, partitionCount, this.topic);
          } catch (err) {
            if (!(err instanceof LineError)) throw err;
            if (!skipInvalid) {
              this.stoppedAt = { line: lineNumber, message: `line ${lineNumber}: ${err.message}` };
              break reading;
            }
            this.warn(`line ${lineNumber}: ${err.message} (skipped)`);
            this.skip(lineNumber);
            continue;
          }
          if (this.stopped) break reading;
          this.send(record, lineNumber);
          this.linesRead = lineNumber;
        }
        if (this.stopped) break;
        if (!this.producer.hasCapacity()) await this.producer.ready();
      }
    } catch (err) {
      if (!(err instanceof LongLineError)) throw err;
      this.stoppedAt = { line: err.lineNumber, message: err.message };
    }
  }

  /** The first line not stored (null when all were), and how many records of later lines were stored anyway. */
  firstUnstored(): { line: number; storedAfterCount: number } | null {
    let line: number;
    if (Number.isFinite(this.firstFailedLine)) line = this.firstFailedLine;
    else if (this.stoppedAt !== null) line = this.stoppedAt.line;
    else if (this.signal.aborted) line = this.linesRead + 1;
    else return null;
    const skippedBefore = this.skippedLines.filter((n) => n < line).length;
    const storedBefore = line - 1 - skippedBefore;
    return { line, storedAfterCount: Math.max(this.throughput.recordCount - storedBefore, 0) };
  }

  /** Starts a flush once FLUSH_EVERY_BYTES more were handed over, unless one is running. */
  private flushNow(bytes: number): void {
    this.bytesSinceFlush += bytes;
    const flush = this.options.flush;
    if (flush === undefined || this.flushing || this.bytesSinceFlush < FLUSH_EVERY_BYTES) return;
    this.bytesSinceFlush = 0;
    this.flushing = true;
    // A failed flush changes nothing for the run: the produce that hits the same disk reports it.
    flush().catch(() => undefined).finally(() => (this.flushing = false));
  }

  private send(record: LineRecord, lineNumber: number): void {
    const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
    this.producer.send({ topic: this.topic, ...record, partition: record.partition ?? this.options.partition }).then(
      () => this.throughput.add(1, bytes),
      (err: Error) => this.failed(lineNumber, err),
    );
  }

  private settled(run: LineRun, result: SendLinesResult): void {
    this.throughput.add(result.recordCount, result.byteCount);
    if (result.firstFailedLine >= 0) this.failed(run.firstLine + result.firstFailedLine, result.error!);
  }

  private failed(lineNumber: number, error: Error): void {
    if (lineNumber >= this.firstFailedLine) return;
    this.firstFailedLine = lineNumber;
    this.failure = error;
  }

  /**
   * Whether the last chunk read is no longer referenced, so input.ts may read into its buffer
   * again: the reader dropped it (a long line), or the producer has copied every line handed to
   * it into batches (it keeps up with the input: the usual case, so no buffer is allocated per read).
   */
  lastChunkFree(): boolean {
    return this.lineReader !== null && (this.lineReader.lastChunkFree || this.producer.allPlaced);
  }

  private lineReader: LineReader | null = null;

  private reader(): LineReader {
    return this.lineReader = new LineReader({
      maxLineBytes: this.maxLineBytes,
      longLines: this.options.longLines,
      onLongLine: (lineNumber, lineBytes) => this.longLine(lineNumber, lineBytes),
    });
  }

  private longLine(lineNumber: number, lineBytes: number): void {
    const truncated = this.options.longLines === 'truncate';
    if (truncated) this.truncatedCount++;
    else this.skip(lineNumber);
    const count = this.skippedCount + this.truncatedCount;
    if (count <= LONG_LINE_WARNINGS_MAX) {
      this.warn(`line ${lineNumber}: ${lineBytes} bytes, over --max-line-bytes ${this.maxLineBytes} (${truncated ? 'truncated' : 'skipped'})` +
        (count === LONG_LINE_WARNINGS_MAX ? '; further ones are only counted' : ''));
    }
  }

  private skip(lineNumber: number): void {
    this.skippedCount++;
    this.skippedLines.push(lineNumber);
    // A skipped line is dealt with, but only where it follows everything before it (it does:
    // lines end in order, and a skip is noted as its line ends).
    if (!this.stopped) this.linesRead = Math.max(this.linesRead, lineNumber);
  }

  /** --max-line-bytes, checked against (and by default set to) what one record of the topic may hold. */
  private lineLimit(batchBytesMax: number): number {
    const topicMax = Math.min(batchBytesMax, MESSAGE_MAX_BYTES_LIMIT) - LINE_OVERHEAD_BYTES + (this.options.keySeparator?.length ?? 0);
    const asked = this.options.maxLineBytes;
    if (asked === undefined) return Math.max(topicMax, 1);
    if (asked > topicMax) {
      throw new UserError(`--max-line-bytes ${asked} is more than topic '${this.topic}' takes: its max.message.bytes and segment.bytes allow lines up to ${topicMax} bytes`);
    }
    return asked;
  }
}

/** A problem with one input line (as opposed to the run). */
export class LineError extends Error {}

async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

export function checkPartition(partition: number | undefined, partitionCount: number, topic: string): void {
  if (partition === undefined || partition < partitionCount) return;
  throw new UserError(partitionMessage(partition, partitionCount, topic));
}

function checkLinePartition(partition: number | undefined, partitionCount: number, topic: string): void {
  if (partition === undefined || partition < partitionCount) return;
  throw new LineError(partitionMessage(partition, partitionCount, topic));
}

function partitionMessage(partition: number, partitionCount: number, topic: string): string {
  return `partition ${partition} does not exist: topic '${topic}' has ${partitionCount} partition${partitionCount === 1 ? '' : 's'}`;
}
