import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { LineTooLongError, readLineRuns } from '../../src/cli/lines.js';

async function runs(chunks: Array<string | Buffer>, maxLineBytes = 1024): Promise<string[]> {
  const out: string[] = [];
  for await (const run of readLineRuns(Readable.from(chunks, { objectMode: true }), maxLineBytes)) out.push(run.toString('utf8'));
  return out;
}

describe('readLineRuns', () => {
  it('yields whole lines only, joining a line split across chunks, and keeps a last line without newline', async () => {
    expect(await runs(['a\nb', 'c\nd\ne', 'f', 'g'])).toEqual(['a\n', 'bc\n', 'd\n', 'efg']);
    expect(await runs(['a\nb\n'])).toEqual(['a\nb\n']);
    expect(await runs([])).toEqual([]);
    expect((await runs(['x\r', '\ny'])).join('')).toBe('x\r\ny');
  });

  it('throws LineTooLongError with the count of lines before it in the unyielded run', async () => {
    const error = await runs(['ok\nfine\n' + 'x'.repeat(20) + '\nafter\n'], 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LineTooLongError);
    expect((error as LineTooLongError).linesBefore).toBe(2);
    await expect(runs(['short\n', 'y'.repeat(6), 'y'.repeat(6)], 10)).rejects.toBeInstanceOf(LineTooLongError);
  });
});
