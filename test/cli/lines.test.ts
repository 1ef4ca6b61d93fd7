import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { LineReader, LongLineError, type LongLinePolicy } from '../../src/cli/lines.js';

interface Read {
  runs: Array<{ text: string; firstLine: number; lineCount: number }>;
  long: Array<[number, number]>;
  lineCount: number;
}

async function read(chunks: Array<string | Buffer>, maxLineBytes = 1024, longLines: LongLinePolicy = 'skip'): Promise<Read> {
  const long: Array<[number, number]> = [];
  const reader = new LineReader({ maxLineBytes, longLines, onLongLine: (line, bytes) => long.push([line, bytes]) });
  const runs = [];
  for await (const run of reader.runs(Readable.from(chunks, { objectMode: true }))) {
    runs.push({ text: run.text.toString('utf8'), firstLine: run.firstLine, lineCount: run.lineCount });
  }
  return { runs, long, lineCount: reader.lineCount };
}

const texts = (r: Read) => r.runs.map((run) => run.text);

describe('LineReader', () => {
  it('yields runs of whole lines, joining a line split across chunks, and keeps a last line without newline', async () => {
    expect(texts(await read(['a\nb', 'c\nd\ne', 'f', 'g']))).toEqual(['a\n', 'bc\n', 'd\n', 'efg']);
    expect(texts(await read(['a\nb\n']))).toEqual(['a\nb\n']);
    expect((await read([])).runs).toEqual([]);
  });

  it('numbers the lines of each run and counts empty lines', async () => {
    const r = await read(['\n\nx\n', 'y\nz']);
    expect(r.runs.map((run) => [run.firstLine, run.lineCount])).toEqual([[1, 3], [4, 1], [5, 1]]);
    expect(r.lineCount).toBe(5);
  });

  it('keeps a carriage return as data, also when split from its newline across chunks', async () => {
    expect(texts(await read(['a\r\nb\r', '\nc\r\n'])).join('')).toBe('a\r\nb\r\nc\r\n');
  });

  it('keeps multi-byte UTF-8 characters split across chunks intact', async () => {
    const bytes = Buffer.from('héllo\n', 'utf8');
    expect(texts(await read([bytes.subarray(0, 2), bytes.subarray(2)]))).toEqual(['héllo\n']);
  });

  it('skips a long line by default, naming it and its length, and numbers the lines after it', async () => {
    const r = await read(['ok\n' + 'x'.repeat(20) + '\nnext\n'], 10);
    expect(texts(r)).toEqual(['ok\n', 'next\n']);
    expect(r.runs.map((run) => run.firstLine)).toEqual([1, 3]);
    expect(r.long).toEqual([[2, 20]]);
  });

  it('drops a long line spread over many chunks without holding it, ending at its newline or the input end', async () => {
    const r = await read(['a\n', 'y'.repeat(8), 'y'.repeat(8), 'y'.repeat(8), 'yy\nb\n', 'z'.repeat(30)], 10);
    expect(texts(r)).toEqual(['a\n', 'b\n']);
    expect(r.long).toEqual([[2, 26], [4, 30]]);
    expect(r.lineCount).toBe(4);
  });

  it('truncates a long line to the limit with --long-lines truncate', async () => {
    const r = await read(['a\n' + 'x'.repeat(20) + '\nb\n', 'y'.repeat(12), 'y\n'], 10, 'truncate');
    expect(texts(r)).toEqual(['a\n', 'xxxxxxxxxx\n', 'b\n', 'yyyyyyyyyy\n']);
    expect(r.runs.map((run) => run.firstLine)).toEqual([1, 2, 3, 4]);
    expect(r.long).toEqual([[2, 20], [4, 13]]);
  });

  it('fails at the line that passes the limit with --long-lines fail, before its end arrives', async () => {
    const error = await read(['ok\nfine\n', 'x'.repeat(20)], 10, 'fail').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LongLineError);
    expect((error as LongLineError).lineNumber).toBe(3);
    expect((error as Error).message).toBe('line 3 is longer than 10 bytes (--max-line-bytes)');
  });

  it('takes a line of exactly the limit', async () => {
    expect(texts(await read(['x'.repeat(10) + '\n', 'y'.repeat(10)], 10))).toEqual(['xxxxxxxxxx\n', 'yyyyyyyyyy']);
  });
});
