/**
 * `brook tail` as a process against a real `brook serve`: rotation by rename-and-create and by
 * copytruncate, files created later, multi-line events, a clean stop and restart (every line
 * exactly once), a SIGKILL (no line lost, only lines after the last checkpoint repeated), a 20 MB
 * line and invalid UTF-8.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { header, killBrookProcesses, readTopic, runBrook, sleep, startServe, values, waitForRecords, type BrookProcess, type Serve } from '../helpers.js';

let serve: Serve;

beforeAll(async () => {
  serve = await startServe([]);
});

afterAll(async () => {
  await killBrookProcesses();
  expect(await serve?.stop()).toBe(0);
});

/** Starts `brook tail` and waits until it follows (its signal handling is in place by then). */
async function tail(dir: string, patterns: string[], topic: string, extra: string[] = []): Promise<BrookProcess> {
  const run = runBrook(['--broker', serve.address, 'tail', ...patterns.map((p) => path.join(dir, p)), '--topic', topic, '--checkpoint-dir', path.join(dir, 'state'), ...extra]);
  while (!/: following /.test(run.stderr())) {
    if (run.child.exitCode !== null) throw new Error(`brook tail exited: ${run.stderr()}`);
    await sleep(50);
  }
  return run;
}

async function stop(process: BrookProcess): Promise<number | string> {
  process.child.kill('SIGTERM');
  return process.exited;
}

function lines(from: number, to: number, prefix = 'line'): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `${prefix} ${i}\n`;
  return text;
}

/** How often each value occurs. */
function counts(texts: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const text of texts) map.set(text, (map.get(text) ?? 0) + 1);
  return map;
}

function expectExactlyOnce(texts: string[], expected: string[]): void {
  const seen = counts(texts);
  expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
  expect([...seen.keys()].sort()).toEqual([...expected].sort());
}

function numbered(from: number, to: number, prefix = 'line'): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);
}

describe('brook tail', () => {
  it('follows rename-and-create rotation and files created later, every line exactly once', async () => {
    const dir = tempDir('brook-tail-rename-');
    const log = path.join(dir, 'app.log');
    fs.writeFileSync(log, lines(1, 2000));
    const run = await tail(dir, ['*.log'], 'rename');
    await waitForRecords(serve.address, 'rename', 2000);
    // logrotate's default: rename, then create; the writer still appends to the renamed file a little.
    fs.renameSync(log, `${log}.1`);
    fs.appendFileSync(`${log}.1`, lines(2001, 2100));
    fs.writeFileSync(log, lines(2101, 3000));
    fs.writeFileSync(path.join(dir, 'other.log'), lines(1, 500, 'other'));
    fs.appendFileSync(log, lines(3001, 3500));
    const records = await waitForRecords(serve.address, 'rename', 4000);
    expect(await stop(run)).toBe(0);
    expectExactlyOnce(values(await readTopic(serve.address, 'rename')), [...numbered(1, 3500), ...numbered(1, 500, 'other')]);
    expect(records.length).toBe(4000);
  });

  it('follows copytruncate rotation, reading lines it had not reached from the copy, every line exactly once', async () => {
    const dir = tempDir('brook-tail-copytruncate-');
    const log = path.join(dir, 'app.log');
    fs.writeFileSync(log, lines(1, 2000));
    const run = await tail(dir, ['app.log*'], 'copytruncate');
    await waitForRecords(serve.address, 'copytruncate', 2000);
    for (let round = 0; round < 3; round++) {
      const first = 2001 + round * 3000;
      // Written right before the copy: tail may or may not have read these from app.log yet.
      fs.appendFileSync(log, lines(first, first + 999));
      fs.copyFileSync(log, `${log}.${round + 1}`);
      fs.truncateSync(log, 0);
      fs.appendFileSync(log, lines(first + 1000, first + 2999));
      await waitForRecords(serve.address, 'copytruncate', first + 2999);
    }
    expect(await stop(run)).toBe(0);
    expectExactlyOnce(values(await readTopic(serve.address, 'copytruncate')), numbered(1, 11_000));
  });

  it('joins multi-line events (stack traces), ending the last one after a quiet period', async () => {
    const dir = tempDir('brook-tail-multiline-');
    const events = [
      '2024-01-01 10:00:00 INFO started',
      '2024-01-01 10:00:01 ERROR failed\njava.lang.IllegalStateException: boom\n    at a.b.C.run(C.java:10)\n    at a.b.D.main(D.java:5)',
      '2024-01-01 10:00:02 INFO recovered',
      '2024-01-01 10:00:03 WARN last one\n    with a continuation',
    ];
    fs.writeFileSync(path.join(dir, 'app.log'), `${events.join('\n')}\n`);
    const run = await tail(dir, ['app.log'], 'multiline', ['--multiline-start', '^\\d{4}-\\d{2}-\\d{2} ', '--multiline-timeout-ms', '300']);
    const records = await waitForRecords(serve.address, 'multiline', 4);
    expect(values(records)).toEqual(events);
    expect(await stop(run)).toBe(0);
  });

  it('resumes after a clean stop with no line lost or repeated, while the file keeps growing', async () => {
    const dir = tempDir('brook-tail-restart-');
    const log = path.join(dir, 'app.log');
    fs.writeFileSync(log, '');
    let written = 0;
    const write = (count: number): void => {
      fs.appendFileSync(log, lines(written + 1, written + count));
      written += count;
    };
    let run = await tail(dir, ['app.log'], 'restart');
    for (let stopAt = 0; stopAt < 3; stopAt++) {
      for (let i = 0; i < 20; i++) {
        write(5000);
        await sleep(10);
      }
      // Stopped mid-stream: lines are being read and acknowledged right now.
      expect(await stop(run)).toBe(0);
      write(10_000); // written while tail is down
      run = await tail(dir, ['app.log'], 'restart');
    }
    await waitForRecords(serve.address, 'restart', written);
    expect(await stop(run)).toBe(0);
    expectExactlyOnce(values(await readTopic(serve.address, 'restart')), numbered(1, written));
  });

  it('finishes a file rotated while it was stopped, found again by inode in its directory', async () => {
    const dir = tempDir('brook-tail-rotated-offline-');
    const log = path.join(dir, 'app.log');
    fs.writeFileSync(log, lines(1, 1000));
    let run = await tail(dir, ['app.log'], 'offline');
    await waitForRecords(serve.address, 'offline', 1000);
    expect(await stop(run)).toBe(0);
    fs.appendFileSync(log, lines(1001, 1500)); // written after the stop, then rotated away
    fs.renameSync(log, `${log}.1`);
    fs.writeFileSync(log, lines(1501, 2000));
    run = await tail(dir, ['app.log'], 'offline');
    await waitForRecords(serve.address, 'offline', 2000);
    expect(await stop(run)).toBe(0);
    expect(run.stderr()).toMatch(/rotated to .*app\.log\.1 while stopped/);
    expectExactlyOnce(values(await readTopic(serve.address, 'offline')), numbered(1, 2000));
  });

  it('loses no line to a SIGKILL, and repeats only a run of lines after the last checkpoint', async () => {
    const dir = tempDir('brook-tail-kill-');
    const log = path.join(dir, 'app.log');
    const total = 600_000;
    // ~7.5 MB, killed after ~6 MB: without checkpoints the repeat would pass the 5 MiB bound.
    fs.writeFileSync(log, lines(1, total));
    let run = await tail(dir, ['app.log'], 'killed');
    await waitForRecords(serve.address, 'killed', 500_000);
    run.child.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
    run = await tail(dir, ['app.log'], 'killed');
    const records = await waitForRecords(serve.address, 'killed', total);
    await sleep(1500); // anything still to come after catching up would be a repeat
    expect(await stop(run)).toBe(0);
    const texts = values(await readTopic(serve.address, 'killed'));
    const seen = counts(texts);
    expect([...seen.keys()].sort()).toEqual(numbered(1, total).sort());
    const repeated = [...seen].filter(([, n]) => n > 1).map(([text]) => Number(text.split(' ')[1])).sort((a, b) => a - b);
    expect([...seen.values()].every((n) => n <= 2)).toBe(true);
    // One contiguous run, within the checkpoint window (4 MiB) plus one read (1 MiB).
    if (repeated.length > 0) expect(repeated.at(-1)! - repeated[0]! + 1).toBe(repeated.length);
    const repeatedBytes = repeated.reduce((bytes, n) => bytes + `line ${n}\n`.length, 0);
    expect(repeatedBytes).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(records.length).toBeGreaterThanOrEqual(total);
  });

  it('cuts a 20 MB line at max_line_bytes with a header, keeps invalid UTF-8 bytes as they are, and goes on', async () => {
    const dir = tempDir('brook-tail-long-');
    const invalid = Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xc3, 0x28]);
    const big = 20 * 1024 * 1024;
    const file = fs.openSync(path.join(dir, 'app.log'), 'w');
    fs.writeSync(file, 'before\n');
    fs.writeSync(file, Buffer.alloc(big, 'z'));
    fs.writeSync(file, '\n');
    fs.writeSync(file, Buffer.concat([invalid, Buffer.from('\nafter\n')]));
    fs.closeSync(file);
    const run = await tail(dir, ['app.log'], 'long');
    const records = await waitForRecords(serve.address, 'long', 4);
    expect(await stop(run)).toBe(0);
    expect(records.map((r) => r.value!.length)).toEqual([6, 102_400, invalid.length, 5]);
    expect(header(records[1]!, 'brook.truncated')).toBe(String(big));
    expect(records[2]!.value!.equals(invalid)).toBe(true);
    expect(records[3]!.value!.toString()).toBe('after');

    const skipDir = tempDir('brook-tail-skip-');
    fs.copyFileSync(path.join(dir, 'app.log'), path.join(skipDir, 'app.log'));
    const skipping = await tail(skipDir, ['app.log'], 'long-skipped', ['--max-line-policy', 'skip', '--json']);
    const kept = await waitForRecords(serve.address, 'long-skipped', 3);
    expect(await stop(skipping)).toBe(0);
    expect(values(kept).filter((v) => v === 'before' || v === 'after')).toEqual(['before', 'after']);
    expect(JSON.parse(skipping.stdout())).toMatchObject({ skippedCount: 1, acknowledgedCount: 3 });
  });
});
