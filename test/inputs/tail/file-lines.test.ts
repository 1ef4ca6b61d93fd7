/**
 * FileLines: lines and multi-line events out of chunks, and the position a checkpoint may reach
 * (never inside a line or an unfinished event), whatever the chunk boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longLines } from '../../../src/inputs/long-lines.js';
import { FileLines, type Split } from '../../../src/inputs/tail/file-lines.js';

function texts(split: Split): string[] {
  return split.pieces.flatMap((piece) => piece.kind === 'events'
    ? piece.events.map((e) => e.value.toString())
    : piece.text.toString().split('\n').slice(0, -1).map((line) => line.replace(/\r$/, '')));
}

/** Feeds `text` cut at `cuts`; returns the records and each chunk's emitted position. */
function run(text: string, cuts: number[], lines: FileLines): { records: string[]; positions: number[] } {
  const bytes = Buffer.from(text);
  const bounds = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  const records: string[] = [];
  const positions: number[] = [];
  for (let i = 1; i < bounds.length; i++) {
    const split = lines.push(bytes.subarray(bounds[i - 1]!, bounds[i]!), bounds[i - 1]!);
    records.push(...texts(split));
    positions.push(split.emittedPosition);
  }
  return { records, positions };
}

describe('FileLines', () => {
  it('emits whole lines only and stops the position before a partial one, for any chunking', () => {
    const text = 'alpha\nbeta\r\n\ngamma\ndelta-without-newline';
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 10 }), (cuts) => {
      const { records, positions } = run(text, cuts, new FileLines(longLines(1000), null, 0));
      expect(records).toEqual(['alpha', 'beta', '', 'gamma']);
      expect(positions.at(-1)).toBe(text.indexOf('delta'));
    }));
  });

  it('joins continuation lines into the event their start line began, holding the position at the open event', () => {
    const text = 'E1 start\n  at a\n  at b\nE2 start\nE3 start\n  at c\n';
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 10 }), (cuts) => {
      const lines = new FileLines(longLines(1000), /^E\d/, 0);
      const { records, positions } = run(text, cuts, lines);
      expect(records).toEqual(['E1 start\n  at a\n  at b', 'E2 start']);
      expect(positions.at(-1)).toBe(text.indexOf('E3'));
      const flushed = lines.flushPending(false);
      expect(texts(flushed)).toEqual(['E3 start\n  at c']);
      expect(flushed.emittedPosition).toBe(text.length);
    }));
  });

  it('cuts a long line at max_line_bytes (or skips it) with its full length, and the position passes it', () => {
    const text = `short\n${'z'.repeat(10_000)}\nafter\n`;
    const cut = new FileLines(longLines(100), null, 0);
    const split = cut.push(Buffer.from(text), 0);
    const events = split.pieces.flatMap((p) => (p.kind === 'events' ? p.events : []));
    expect(events).toHaveLength(1);
    expect(events[0]!.value.length).toBe(100);
    expect(events[0]!.originalBytes).toBe(10_000);
    expect(texts(split)).toEqual(['short', 'z'.repeat(100), 'after']);
    expect(split.emittedPosition).toBe(text.length);
    const skip = new FileLines(longLines(100, 'skip'), null, 0).push(Buffer.from(text), 0);
    expect(texts(skip)).toEqual(['short', 'after']);
    expect(skip.skippedCount).toBe(1);
  });

  it('sends a last line without a newline only when the file is finished', () => {
    const lines = new FileLines(longLines(1000), null, 0);
    expect(texts(lines.push(Buffer.from('one\ntwo'), 0))).toEqual(['one']);
    expect(texts(lines.flushPending(false))).toEqual([]);
    const final = lines.flushPending(true);
    expect(texts(final)).toEqual(['two']);
    expect(final.emittedPosition).toBe(7);
  });
});
