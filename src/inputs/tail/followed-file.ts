/**
 * One file `brook tail` follows: its open handle, identity (identity.ts) and three positions:
 *
 *   0 ........ checkpointedPosition ........ acknowledgedPosition ........ readPosition ...... size
 *              on disk in the checkpoint     every record before it is     next byte to read
 *                                            acknowledged (acks=all)
 *
 * Reading stops while emittedPosition - checkpointedPosition >= windowBytes, so after a SIGKILL
 * what is read again is at most windowBytes, plus one chunk, plus the line that chunk ends in. Chunks are read
 * in order; their records may be acknowledged out of order (keyless records move between
 * partitions), so acknowledgedPosition advances over the prefix of chunks that are done.
 *
 * Main thread; owned by the TailInput that follows it.
 */
import type { FileHandle } from 'node:fs/promises';
import type { LongLines } from '../long-lines.js';
import { truncatedHeader } from '../long-lines.js';
import type { Fields } from '../routing.js';
import type { InputRecord, InputSink, SendOutcome } from '../sink.js';
import { FileLines, type Split } from './file-lines.js';
import { hashBytes, headMatches, readHead, tailMarkOf, HEAD_BYTES, type Head, type TailMark } from './identity.js';

export interface TailContext {
  sink: InputSink;
  limits: LongLines;
  multilineStart: RegExp | null;
  chunkBytes: number;
  windowBytes: number;
  stopping(): boolean;
  /** A chunk's records were acknowledged (a checkpoint may be due). */
  acknowledged(file: FollowedFile): void;
  /** Records could not be written: the input stops without moving past them. */
  fail(error: Error): void;
  /** A file's first bytes changed under it: rescan soon. */
  replaced(): void;
}

interface Chunk {
  generation: number;
  emittedPosition: number;
  done: boolean;
}

export class FollowedFile {
  readPosition: number;
  /** Every byte before it is in records sent (or skipped); acknowledgedPosition follows it. */
  emittedPosition: number;
  acknowledgedPosition: number;
  checkpointedPosition: number;
  /** The head and tail mark the file had before its last truncation (a copy may carry them). */
  previous: { head: Head; mark: TailMark | null } | null = null;
  mark: TailMark | null = null;
  /** No longer found at a matching path (rotated away or deleted): read to its end, then dropped. */
  gone = false;
  lastDataMs = Date.now();
  /** Counts restarts (truncations): acknowledgements of an older generation move no position. */
  generation = 0;
  /** Being let go after rotation (TailInput.retire). */
  retiring = false;
  private readonly chunks: Chunk[] = [];
  private readonly lines: FileLines;
  private reading: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    public path: string,
    readonly key: string,
    public handle: FileHandle | null,
    public head: Head,
    position: number,
    private readonly context: TailContext,
  ) {
    this.readPosition = position;
    this.emittedPosition = position;
    this.acknowledgedPosition = position;
    this.checkpointedPosition = position;
    const textRuns = !context.sink.routing.needsFields && !context.sink.routing.roundRobin;
    this.lines = new FileLines(context.limits, context.multilineStart, position, textRuns);
  }

  get hasPendingEvent(): boolean {
    return this.lines.hasPending;
  }

  /** Reads to the end of the file (or until the window or the producer's buffer is full). */
  read(): Promise<void> {
    this.reading ??= this.readLoop().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /** The file was truncated (copytruncate) or replaced: start over at 0, keeping how it was. */
  restart(head: Head): void {
    this.previous = { head: this.head, mark: this.mark };
    this.head = head;
    this.mark = null;
    this.generation++;
    this.chunks.length = 0;
    this.readPosition = 0;
    this.emittedPosition = 0;
    this.acknowledgedPosition = 0;
    this.checkpointedPosition = 0;
    this.lines.reset(0);
  }

  /** Ends a pending multi-line event; with `final` also a last line without LF (the file is done). */
  flushPending(final: boolean): void {
    this.send(this.lines.flushPending(final));
  }

  /** Resolves when everything sent so far is acknowledged (or failed). */
  async settled(): Promise<void> {
    if (this.reading !== null) await this.reading;
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => {});
  }

  private async readLoop(): Promise<void> {
    const { sink, chunkBytes, windowBytes } = this.context;
    while (!this.context.stopping() && this.handle !== null) {
      if (this.emittedPosition - this.checkpointedPosition >= windowBytes) return; // a checkpoint wakes us
      if (!sink.hasCapacity()) await sink.ready();
      const handle = this.handle;
      const { generation } = this;
      const chunkPosition = this.readPosition;
      const size = (await handle.stat()).size;
      if (size < chunkPosition) return; // truncated: the scan restarts it
      const length = Math.min(chunkBytes, size - chunkPosition);
      if (length <= 0) return;
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, chunkPosition);
      // Restarted or closed meanwhile: these bytes belong to what was before.
      if (bytesRead === 0 || this.handle !== handle || this.generation !== generation) return;
      // Truncated and written again past our position (copytruncate) before a scan noticed, maybe
      // while we read: the first bytes changed. These bytes are the middle of new content; drop
      // them, and the scan starts the file over. (Checked after the read, so no rewrite slips
      // in between the check and the read.)
      if (!(await headMatches(handle, this.head)) || this.generation !== generation) return this.context.replaced();
      // A head shorter than HEAD_BYTES grows with what is read (and checked) here, never from a
      // later look at the file, which could see the next copytruncate's content instead.
      if (this.head.bytes < HEAD_BYTES && chunkPosition + bytesRead > this.head.bytes) {
        this.head = chunkPosition === 0 ? { bytes: Math.min(bytesRead, HEAD_BYTES), hash: hashBytes(chunk.subarray(0, Math.min(bytesRead, HEAD_BYTES))) }
          : await readHead(handle, Math.min(chunkPosition + bytesRead, HEAD_BYTES));
        this.context.acknowledged(this); // the checkpoint's fingerprint changed
      }
      const data = chunk.subarray(0, bytesRead);
      this.readPosition += bytesRead;
      this.lastDataMs = Date.now();
      const split = this.lines.push(data, chunkPosition);
      this.mark = tailMarkOf(data, chunkPosition, split.emittedPosition) ?? this.mark;
      this.send(split);
    }
  }

  private send(split: Split): void {
    const { sink } = this.context;
    sink.stats.counts.skippedCount += split.skippedCount;
    sink.stats.counts.receivedCount += split.skippedCount;
    this.emittedPosition = split.emittedPosition;
    const chunk: Chunk = { generation: this.generation, emittedPosition: split.emittedPosition, done: false };
    this.chunks.push(chunk);
    const sends: Array<Promise<SendOutcome>> = [];
    for (const piece of split.pieces) {
      if (piece.kind === 'text') {
        sink.stats.counts.receivedCount += piece.lineCount;
        sends.push(sink.sendLines(piece.text));
      } else {
        sends.push(sink.send(piece.events.map((event) => this.record(event.value, event.originalBytes))));
      }
    }
    const sent = Promise.all(sends).then((outcomes) => {
      const fatal = outcomes.find((outcome) => outcome.fatal !== null)?.fatal ?? null;
      if (fatal !== null) return this.context.fail(fatal);
      chunk.done = true;
      this.advance();
    }, (error: Error) => this.context.fail(error));
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private record(value: Buffer, originalBytes: number): InputRecord {
    const { sink } = this.context;
    sink.stats.counts.receivedCount++;
    const headers = [];
    if (originalBytes > value.length) {
      sink.stats.counts.truncatedCount++;
      headers.push(truncatedHeader(originalBytes));
    }
    return { key: null, value, headers, timestamp: Date.now(), fields: sink.routing.needsFields ? this.fields(value) : null };
  }

  /** Routing fields of a line: its JSON object's fields (when it is one), and `path`. */
  private fields(value: Buffer): Fields {
    let fields: Fields = {};
    if (value[0] === 0x7b) {
      try {
        const parsed: unknown = JSON.parse(value.toString('utf8'));
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Fields;
      } catch {
        // not JSON: only `path`
      }
    }
    if (!('path' in fields)) fields.path = this.path;
    return fields;
  }

  private advance(): void {
    let advanced = false;
    while (this.chunks.length > 0 && this.chunks[0]!.done) {
      const chunk = this.chunks.shift()!;
      if (chunk.generation !== this.generation) continue;
      this.acknowledgedPosition = chunk.emittedPosition;
      advanced = true;
    }
    if (advanced) this.context.acknowledged(this);
  }
}
