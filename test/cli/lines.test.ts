import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readLineChunks } from '../../src/cli/lines.js';
import { UserError } from '../../src/cli/user-error.js';

async function lines(chunks: Array<string | Buffer>, maxLineBytes = 1024): Promise<string[]> {
  const out: string[] = [];
  for await (const group of readLineChunks(Readable.from(chunks, { objectMode: true }), maxLineBytes)) {
    out.push(...group.map((l) => l.toString('utf8')));
  }
  return out;
}

describe('readLineChunks', () => {
  it('yields one line per newline and keeps a last line without a newline', async () => {
    expect(await lines(['a\nb\nc'])).toEqual(['a', 'b', 'c']);
    expect(await lines(['a\nb\n'])).toEqual(['a', 'b']);
  });

  it('yields nothing for empty input and keeps empty lines in the middle', async () => {
    expect(await lines([])).toEqual([]);
    expect(await lines(['\n\nx\n'])).toEqual(['', '', 'x']);
  });

  it('drops the carriage return of CRLF line ends, also when split across chunks', async () => {
    expect(await lines(['a\r\nb\r', '\nc\r\n'])).toEqual(['a', 'b', 'c']);
  });

  it('joins a line split over several chunks', async () => {
    expect(await lines(['hel', 'lo wo', 'rld\nnext'])).toEqual(['hello world', 'next']);
  });

  it('keeps multi-byte UTF-8 characters split across chunks intact', async () => {
    const bytes = Buffer.from('héllo\n', 'utf8');
    expect(await lines([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['héllo']);
  });

  it('rejects a line longer than the limit instead of buffering it', async () => {
    await expect(lines(['x'.repeat(20), 'y'.repeat(20)], 16)).rejects.toThrow(UserError);
    await expect(lines(['x'.repeat(20) + '\n'], 16)).rejects.toThrow(/line 1 is longer than 16 bytes/);
  });
});
