/**
 * `brook produce` into a real, small tmpfs until the disk is full: what is stored is a prefix of
 * the input, the first line not stored is named, every read-only command and the commands that
 * free space (delete-records, alter, delete) work on the full disk, and resuming with
 * `tail -n +N` completes the topic exactly once. Needs mount(8) as root (CI runs as root; see
 * .ci/run); elsewhere the tests are skipped with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BROOK, REPO, brook, pipeline } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

const TMPFS_BYTES = 6 * 1024 * 1024;

/** Mounts a tmpfs of `bytes` at a new temp dir; the reason it cannot, if it cannot. */
function mountTmpfs(bytes: number): { dir: string } | { reason: string } {
  const dir = tempDir('brook-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    return { reason: `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}): run as root with mount(8)` };
  }
}

const mounted = mountTmpfs(TMPFS_BYTES);
if ('reason' in mounted) console.warn(`disk-full tests skipped: ${mounted.reason}`);

describe.skipIf('reason' in mounted)('brook produce on a full disk (tmpfs)', () => {
  const mount = 'dir' in mounted ? mounted.dir : '';
  const dataDir = path.join(mount, 'data');
  const d = ['--data-dir', dataDir];
  const work = tempDir('brook-disk-full-');
  const input = path.join(work, 'input.txt');
  const fill = path.join(mount, 'fill');
  const lines = Array.from({ length: 110_000 }, (_, i) => `line ${String(i + 1).padStart(7, '0')} of the input, padded to fifty b\n`);

  beforeAll(() => fs.writeFileSync(input, lines.join('')));
  afterAll(() => {
    if (mount !== '') spawnSync('umount', [mount]);
  });

  const consumeAll = (topic: string): Buffer => spawnSync(process.execPath, [BROOK, ...d, 'consume', topic], { cwd: REPO, maxBuffer: 64 << 20 }).stdout;

  it('stops at the first line it cannot store, keeps a prefix, names the line, and frees space and resumes exactly once', async () => {
    // 2.5 MB of ballast that `topics delete` frees later; the input (5.5 MB) cannot fit beside it.
    const ballast = await pipeline(`head -c 2500000 ${input} | brook ${d.join(' ')} produce ballast`);
    expect(ballast.code).toBe(0);

    const full = await pipeline(`brook ${d.join(' ')} produce t --json < ${input}`);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(new RegExp(`^brook: line \\d+ was not stored: no space left on device \\(${dataDir}\\);.*tail -n \\+\\d+`));
    expect(full.stderr.trimEnd().split('\n')).toHaveLength(1);
    const summary = JSON.parse(full.stdout) as { recordCount: number; firstUnstoredLine: number; error: string };
    expect(summary.firstUnstoredLine).toBe(summary.recordCount + 1);
    expect(full.stderr).toContain(`line ${summary.firstUnstoredLine} was not stored`);
    expect(summary.recordCount).toBeGreaterThan(10_000);

    // A prefix: exactly the lines before the one named, in order.
    expect(consumeAll('t').toString()).toBe(lines.slice(0, summary.recordCount).join(''));

    // Make the disk entirely full, then read and free space with brook itself.
    try {
      fs.writeFileSync(fill, Buffer.alloc(TMPFS_BYTES));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    expect(fs.statfsSync(mount).bfree).toBe(0);
    for (const args of [['topics', 'list'], ['topics', 'describe', 't'], ['consume', 't', '--max-messages', '1']]) {
      const result = await brook([...d, ...args]);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    expect((await brook([...d, 'topics', 'delete-records', 'ballast', '--before', '1000'])).stdout).toBe('ballast-0: log start offset 1000\n');
    expect((await brook([...d, 'topics', 'alter', 'ballast', '--config', 'retention.ms=86400000'])).code).toBe(0);
    const deleted = await brook([...d, 'topics', 'delete', 'ballast']);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    fs.rmSync(fill); // the rest of the disk was someone else's

    const resumed = await pipeline(`tail -n +${summary.firstUnstoredLine} ${input} | brook ${d.join(' ')} produce t`);
    expect(resumed.stderr).toMatch(/^produced \d+ records/);
    expect(resumed.code).toBe(0);
    const stored = consumeAll('t');
    expect(stored.length).toBe(fs.statSync(input).size);
    expect(stored.equals(fs.readFileSync(input))).toBe(true); // every line exactly once, in order
  });
});
