/**
 * Splits one followed file's bytes into records, chunk by chunk as they are read, and says up to
 * which file position everything has been turned into records (`emittedPosition`): the position
 * a checkpoint may reach once those records are acknowledged.
 *
 *   file:   line\n line\n [partial line ......  (next chunk) ...\n] line\n [event start ... (pending)
 *                          kept across chunks, up to max_line_bytes      ^ emittedPosition stops here
 *                                                                          while a multi-line event
 *                                                                          may still grow
 *
 * - A line ends at LF (a CR before it is dropped). Bytes after the last LF wait for theirs: a
 *   line is sent whole or not at all.
 * - Lines within max_line_bytes that need no joining come out as `text` pieces (runs of whole
 *   lines, sent with the producer's sendLines bulk path); the others as `events`.
 * - max_line_bytes (long-lines.ts): at most max_line_bytes + 1 bytes of a line are held however
 *   long it is; the rest is counted and dropped as it is read.
 * - Multi-line (`multilineStart`): a line matching the pattern starts an event; other lines join
 *   the current event with LF (stack traces). An event is complete when the next one starts, or
 *   when `flushPending()` is called after a quiet period; until then emittedPosition stays at its
 *   start, so a restart reads the whole event again.
 *
 * Main thread; one per followed file.
 */
import { utf8CutBytes, type LongLines } from '../long-lines.js';

export interface LineEvent {
  value: Buffer;
  /** > value.length when the value was cut at max_line_bytes. */
  originalBytes: number;
}

export type Piece = { kind: 'text'; text: Buffer; lineCount: number } | { kind: 'events'; events: LineEvent[] };

export interface Split {
  pieces: Piece[];
  /** Lines skipped for being longer than max_line_bytes (policy skip). */
  skippedCount: number;
  emittedPosition: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class FileLines {
  /** The current line's bytes so far (at most maxLineBytes + 1 kept) and its full length. */
  private partial: Buffer[] = [];
  private partialKeptBytes = 0;
  private partialBytes = 0;
  /** The pending multi-line event: its lines, their total, and the file position it starts at. */
  private event: Buffer[] = [];
  private eventBytes = 0;
  private eventKeptBytes = 0;
  private eventStart = -1;
  private eventEnd = 0;
  private emittedPosition: number;

  /** The file position right after the partial line's last byte. */
  private partialEnd = 0;

  /** `textRuns` false: every line comes out as an event (routing reads each line's fields). */
  constructor(
    private readonly limits: LongLines,
    private readonly multilineStart: RegExp | null,
    position: number,
    private readonly textRuns = true,
  ) {
    this.emittedPosition = position;
  }

  /** Starts over at `position` (the file was truncated or replaced). */
  reset(position: number): void {
    this.partial = [];
    this.partialKeptBytes = 0;
    this.partialBytes = 0;
    this.event = [];
    this.eventBytes = 0;
    this.eventKeptBytes = 0;
    this.eventStart = -1;
    this.emittedPosition = position;
  }

  /** Whether a multi-line event waits for its end. */
  get hasPending(): boolean {
    return this.eventStart >= 0;
  }

  /** `chunk` was read at file position `chunkPosition`, right after the previous chunk. */
  push(chunk: Buffer, chunkPosition: number): Split {
    const split: Split = { pieces: [], skippedCount: 0, emittedPosition: this.emittedPosition };
    const events: LineEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const newline = chunk.indexOf(LF, pos);
      if (newline === -1) {
        this.keepPartial(chunk, pos, chunk.length);
        this.partialEnd = chunkPosition + chunk.length;
        break;
      }
      const lineStart = chunkPosition + pos - this.partialBytes;
      if (this.textRuns && this.partialBytes === 0 && this.multilineStart === null && newline - pos <= this.limits.maxLineBytes) {
        // A run of plain lines: one text piece, no per-line work beyond finding the newlines.
        let end = newline + 1;
        let lineCount = 1;
        for (;;) {
          const next = chunk.indexOf(LF, end);
          if (next === -1 || next - end > this.limits.maxLineBytes) break;
          end = next + 1;
          lineCount++;
        }
        flushEvents(split, events);
        split.pieces.push({ kind: 'text', text: chunk.subarray(pos, end), lineCount });
        pos = end;
        this.emittedPosition = chunkPosition + end;
        continue;
      }
      this.keepPartial(chunk, pos, newline);
      pos = newline + 1;
      this.takeLine(chunkPosition + pos, lineStart, events, split);
    }
    flushEvents(split, events);
    split.emittedPosition = this.emittedPosition;
    return split;
  }

  /**
   * Ends the pending multi-line event (quiet for long enough). `final`: the file is done (rotated
   * away and drained), so a last line without LF is a line too.
   */
  flushPending(final: boolean): Split {
    const split: Split = { pieces: [], skippedCount: 0, emittedPosition: this.emittedPosition };
    const events: LineEvent[] = [];
    if (final && this.partialBytes > 0) this.takeLine(this.partialEnd, this.partialEnd - this.partialBytes, events, split);
    if (this.eventStart >= 0) {
      this.endEvent(events, split);
      this.emittedPosition = this.eventEnd;
    }
    flushEvents(split, events);
    split.emittedPosition = this.emittedPosition;
    return split;
  }

  private keepPartial(chunk: Buffer, from: number, to: number): void {
    this.partialBytes += to - from;
    const room = this.limits.maxLineBytes + 1 - this.partialKeptBytes;
    if (room > 0 && to > from) {
      const part = chunk.subarray(from, Math.min(to, from + room));
      this.partial.push(part);
      this.partialKeptBytes += part.length;
    }
  }

  /** The partial line is complete (its LF ends at `endPosition`): turn it into a line or event. */
  private takeLine(endPosition: number, startPosition: number, events: LineEvent[], split: Split): void {
    let line = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial);
    let lineBytes = this.partialBytes;
    this.partial = [];
    this.partialKeptBytes = 0;
    this.partialBytes = 0;
    if (lineBytes <= this.limits.maxLineBytes && line.length > 0 && line[line.length - 1] === CR) {
      line = line.subarray(0, line.length - 1);
      lineBytes--;
    }
    if (this.multilineStart === null) {
      this.emittedPosition = endPosition;
      if (lineBytes > this.limits.maxLineBytes && this.limits.policy === 'skip') split.skippedCount++;
      else events.push(this.cut(line, lineBytes));
      return;
    }
    const starts = this.multilineStart.test(line.toString('utf8', 0, Math.min(line.length, 4096)));
    if (starts || this.eventStart === -1) {
      this.endEvent(events, split);
      this.eventStart = startPosition;
      this.emittedPosition = startPosition;
    }
    const joinBytes = this.event.length > 0 ? 1 : 0;
    this.eventBytes += joinBytes + lineBytes;
    // Past max_line_bytes the event's further lines are only counted (bounded memory).
    if (this.eventKeptBytes <= this.limits.maxLineBytes) {
      this.event.push(line);
      this.eventKeptBytes += joinBytes + line.length;
    }
    this.eventEnd = endPosition;
  }

  private endEvent(events: LineEvent[], split: Split): void {
    if (this.eventStart === -1) return;
    const parts: Buffer[] = [];
    for (const line of this.event) {
      if (parts.length > 0) parts.push(NEWLINE);
      parts.push(line);
    }
    const value = Buffer.concat(parts);
    if (this.eventBytes > this.limits.maxLineBytes && this.limits.policy === 'skip') split.skippedCount++;
    else events.push(this.cut(value, this.eventBytes));
    this.event = [];
    this.eventBytes = 0;
    this.eventKeptBytes = 0;
    this.eventStart = -1;
  }

  private cut(value: Buffer, originalBytes: number): LineEvent {
    if (originalBytes <= this.limits.maxLineBytes) return { value, originalBytes };
    return { value: value.subarray(0, utf8CutBytes(value, 0, Math.min(value.length, this.limits.maxLineBytes))), originalBytes };
  }
}

const NEWLINE = Buffer.from('\n');

function flushEvents(split: Split, events: LineEvent[]): void {
  if (events.length === 0) return;
  split.pieces.push({ kind: 'events', events: events.splice(0) });
}
