/**
 * 2 MB, 20 MB and 70 MB lines in the middle of a running pipe into `brook produce`: skipped with
 * a warning naming each (the default) while the pipeline goes on, truncated, or stopping the run
 * at the first one; never buffered whole (peak memory compared with the same pipe without them).
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { BROOK, brook, pipeline, tempDataDir } from './helpers.js';

/** bash for: lines 1-1000, a 2 MB line, 1001 more, a 20 MB line, 1001 more, a 70 MB line, 1000 more. */
const LONG_PIPE = [
  'seq 1 1000',
  'head -c 2000000 /dev/zero | tr "\\0" a; echo',
  'seq 1001 2001',
  'head -c 20000000 /dev/zero | tr "\\0" b; echo',
  'seq 2002 3002',
  'head -c 70000000 /dev/zero | tr "\\0" c; echo',
  'seq 3003 4002',
].join('; ');
const SHORT_LINES = Array.from({ length: 4002 }, (_, i) => `${i + 1}\n`).join('');
const HAS_TIME = fs.existsSync('/usr/bin/time');

describe('long lines in a running pipe', () => {
  it('skips each with a warning naming it, counts them, and stores every other line, without holding one whole', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const brookCommand = HAS_TIME ? `/usr/bin/time -f "maxrss=%M" "${process.execPath}" "${BROOK}"` : 'brook';
      const result = await pipeline(`{ ${LONG_PIPE}; } | ${brookCommand} --data-dir ${dir} produce long`);
      expect(result.code).toBe(0);
      const lines = result.stderr.split('\n');
      expect(lines.slice(0, 4)).toEqual([
        'brook: line 1001: 2000000 bytes, over --max-line-bytes 1048491 (skipped)',
        'brook: line 2003: 20000000 bytes, over --max-line-bytes 1048491 (skipped)',
        'brook: line 3005: 70000000 bytes, over --max-line-bytes 1048491 (skipped)',
        expect.stringMatching(/^produced 4002 records, .* to 'long'; skipped 3 lines$/),
      ]);
      expect((await brook(['--data-dir', dir, 'consume', 'long'])).stdout).toBe(SHORT_LINES);
      if (HAS_TIME) {
        const baseline = await pipeline(`seq 1 4002 | ${brookCommand} --data-dir ${dir} produce short`);
        const peakKiB = (stderr: string) => Number(/maxrss=(\d+)/.exec(stderr)![1]);
        // Holding the 70 MB line (or the 92 MB skipped) would show; reading past it in 1 MiB steps does not.
        expect(peakKiB(result.stderr) - peakKiB(baseline.stderr)).toBeLessThan(40 * 1024);
      }
    } finally {
      cleanup();
    }
  });

  it('truncates each to --max-line-bytes with --long-lines truncate', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const result = await pipeline(`{ ${LONG_PIPE}; } | brook --data-dir ${dir} produce cut --long-lines truncate --max-line-bytes 100000`);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/brook: line 3005: 70000000 bytes, over --max-line-bytes 100000 \(truncated\)\n.*truncated 3 lines to 100000 bytes\n$/);
      const values = (await brook(['--data-dir', dir, 'consume', 'cut'])).stdout.split('\n');
      expect(values).toHaveLength(4006);
      expect([values[1000], values[2002], values[3004]]).toEqual(['a'.repeat(100_000), 'b'.repeat(100_000), 'c'.repeat(100_000)]);
      expect([values[999], values[1001], values[4005]]).toEqual(['1000', '1001', '']);
    } finally {
      cleanup();
    }
  });

  it('stops at the first one with --long-lines fail, naming it, with the lines before it stored', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const result = await pipeline(`{ ${LONG_PIPE}; } | brook --data-dir ${dir} produce stop --long-lines fail --json`);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('brook: line 1001 is longer than 1048491 bytes (--max-line-bytes); the 1000 records before it are stored, ' +
        'none from it on: resume with `tail -n +1001 <input> | brook produce stop`\n');
      expect(JSON.parse(result.stdout)).toMatchObject({ recordCount: 1000, firstUnstoredLine: 1001 });
      expect((await brook(['--data-dir', dir, 'consume', 'stop'])).stdout).toBe(SHORT_LINES.slice(0, SHORT_LINES.indexOf('1001\n')));
    } finally {
      cleanup();
    }
  });

  it('skips them under --skip-invalid too, and refuses --skip-invalid with --long-lines fail', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const skipped = await brook(['--data-dir', dir, 'produce', 'si', '--skip-invalid', '--max-line-bytes', '4'], { input: '1\n12345\n2\n' });
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toMatch(/^brook: line 2: 5 bytes, over --max-line-bytes 4 \(skipped\)\n/);
      const refused = await brook(['--data-dir', dir, 'produce', 'si', '--skip-invalid', '--long-lines', 'fail'], { input: '1\n' });
      expect(refused).toMatchObject({ code: 1, stderr: 'brook: --skip-invalid skips long lines: it contradicts --long-lines fail\n' });
    } finally {
      cleanup();
    }
  });
});
