/**
 * `brook top`: rates from two samples (buildReport, pure), JSON snapshots of a real data dir and of
 * a running broker, and the live view refreshing in place on a terminal (`script` gives it a TTY)
 * until q.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport, renderReport, type Sample, type TopReport } from '../../src/cli/commands/top.js';
import { BROOK, REPO, brook, finished, tempDataDir } from './helpers.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const lines = (n: number) => Array.from({ length: n }, (_, i) => `{"n":${i}}`).join('\n') + '\n';

describe('buildReport', () => {
  it('turns two samples into records/s, bytes/s, lag and its trend', () => {
    const at = (timeMs: number, hw: number, sizeBytes: number, committed: number): Sample => ({
      timeMs,
      topics: [{ name: 'logs', partitions: [{ partition: 0, logStartOffset: 0, highWatermark: hw, sizeBytes }, { partition: 1, logStartOffset: 0, highWatermark: hw, sizeBytes: -1 }] }],
      groups: [{ groupId: 'g', state: 'Stable', memberCount: 1, partitions: [{ topic: 'logs', partition: 0, committedOffset: committed, lag: hw - committed }] }],
    });
    const history = new Map<string, number[]>();
    const first = buildReport(null, at(0, 100, 1000, 40), history);
    expect(first.topics[0]).toMatchObject({ recordsPerSec: null, messageCount: 200, sizeBytes: null });
    const second = buildReport(at(0, 100, 1000, 40), at(2000, 300, 5000, 280), history);
    expect(second.intervalMs).toBe(2000);
    // Both partitions grew by 200 records in 2 s; only partition 0 knows its size (+4000 B).
    expect(second.topics[0]!.recordsPerSec).toBe(200);
    expect(second.topics[0]!.bytesPerSec).toBeNull();
    expect(second.partitions[0]).toMatchObject({ topic: 'logs', recordsPerSec: 100 });
    expect(second.groups[0]).toMatchObject({ totalLag: 20, lagHistory: [60, 20], lagPerSec: -20 });
    expect(renderReport(second, 'test', false)).toMatch(/^g\s+Stable\s+1\s+20\s+-20\s+\S+$/m);
  });
});

describe('brook top', () => {
  it('prints a JSON snapshot of a data dir: sizes, messages, and a group\'s lag', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    expect((await brook(['-d', dir, 'produce', 'events'], { input: lines(30) })).code).toBe(0);
    expect((await brook(['-d', dir, 'consume', 'events', '--group', 'readers', '-n', '10'])).code).toBe(0);
    const result = await brook(['-d', dir, 'top', '--json', '--interval', '0.2']);
    expect(result.code, result.stderr).toBe(0);
    const snapshots = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as TopReport);
    expect(snapshots).toHaveLength(1);
    const [report] = snapshots;
    expect(report!.topics).toEqual([expect.objectContaining({ name: 'events', partitionCount: 1, messageCount: 30, recordsPerSec: 0 })]);
    expect(report!.topics[0]!.sizeBytes).toBeGreaterThan(0);
    expect(report!.groups).toEqual([expect.objectContaining({ groupId: 'readers', totalLag: 20 })]);
  });

  it('prints n table snapshots of a running broker through --broker', async () => {
    const server: ServerProcess = await startServer();
    cleanups.push(() => server.stop());
    expect((await brook(['--broker', server.address, 'produce', 'web'], { input: lines(12) })).code).toBe(0);
    const result = await brook(['--broker', server.address, 'top', '-n', '2', '--interval', '0.2']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.match(/^brook top /gm)).toHaveLength(2);
    // Sizes come from DescribeLogDirs: a size on disk, and bytes/s from its growth (none here).
    expect(result.stdout).toMatch(/^web\s+1\s+0\s+(-|0 B\/s)\s+12\s+\d+(\.\d)? (B|KiB)$/m);
  });

  it('refreshes in place on a terminal until q', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    expect((await brook(['-d', dir, 'produce', 'tty-topic'], { input: lines(3) })).code).toBe(0);
    const child = spawn('script', ['-qfec', `exec "${process.execPath}" "${BROOK}" -d "${dir}" top --interval 0.2`, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(child);
    let screen = '';
    child.stdout!.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    // Two frames drawn from the home position (no scrolling), then q quits.
    while ((screen.match(/\x1b\[H/g) ?? []).length < 2) {
      if (child.exitCode !== null) throw new Error(`top exited early: ${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(screen).toContain('tty-topic');
    child.stdin!.write('q');
    const result = await done;
    expect(result.code).toBe(0);
    expect(screen).toContain('\x1b[?25h'); // the cursor is given back
  });
});
