import { existsSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BROOK, brook, finished, tempDataDir } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Runs a printed suggestion with bash, from a directory outside the repo. */
function run(command: string, cwd: string) {
  return finished(spawn('bash', ['-o', 'pipefail', '-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('brook demo', () => {
  it('produces log lines, reads them all back in per-key order and says so', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const result = await brook(['--data-dir', dir, 'demo', '--lines', '3000']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Created topic 'app-logs'/);
      expect(result.stdout).toMatch(/produced 3000 records/);
      expect(result.stdout).toMatch(/per-service order kept: yes; all 3000 lines back: yes/);
      expect(result.stdout).toContain(`--data-dir ${dir}`);
    } finally {
      cleanup();
    }
  });

  it('uses a fresh temporary data dir when none is given, and can run twice in one dir', async () => {
    const first = await brook(['demo', '--lines', '100']);
    expect(first.code).toBe(0);
    const usedDir = /data dir at (\S+)/.exec(first.stdout)![1]!;
    try {
      expect(existsSync(usedDir)).toBe(true); // kept on purpose: the demo ends with commands to try in it
      const again = await brook(['--data-dir', usedDir, 'demo', '--lines', '100']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/all 100 lines back: yes/);
    } finally {
      rmSync(usedDir, { recursive: true, force: true });
    }
  });

  it('spreads its services over every partition, and every suggestion it prints works as printed', async () => {
    const { dir, cleanup } = tempDataDir();
    const elsewhere = tempDir('brook-demo-cwd-');
    try {
      const demo = finished(spawn(process.execPath, [BROOK, '--data-dir', dir, 'demo', '--lines', '2000'], { cwd: elsewhere }));
      const result = await demo;
      expect(result.code).toBe(0);
      const rows = result.stdout.split('\n').filter((l) => /^\d\s+0\s+\d+\s/.test(l));
      expect(rows.map((l) => Number(l.split(/\s+/)[2]) > 0)).toEqual([true, true, true]); // every partition has records
      const suggestions = result.stdout.split('\n').filter((l) => l.startsWith('  ') && l.includes(`--data-dir ${dir}`)).map((l) => l.trim());
      expect(suggestions).toHaveLength(6);
      for (const command of suggestions) expect(command).toContain(`node ${BROOK} --data-dir`);
      const [partition0, template, numbers, serve, follow, produce] = suggestions as [string, string, string, string, string, string];
      expect((await run(partition0, elsewhere)).stdout.split('\n').filter((l) => l !== '')).toHaveLength(5);
      expect((await run(template, elsewhere)).stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \d:\d+ \w+ .*ERROR/);
      expect(await run(numbers, elsewhere)).toMatchObject({ code: 0, stdout: '99998\n99999\n100000\n' });
      // The serve block, with one change: an OS-chosen port instead of 9092 (tests never take fixed ports).
      const server = spawn('bash', ['-c', `exec ${serve.replace(/\s+#.*$/, '')} --port 0`], { cwd: elsewhere, stdio: ['ignore', 'pipe', 'pipe'] });
      const served = finished(server);
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const follower = spawn('bash', ['-c', `exec ${follow}`], { cwd: elsewhere, stdio: ['ignore', 'pipe', 'pipe'] });
      const followed = finished(follower);
      const arrived = new Promise<void>((resolve) => {
        follower.stdout!.on('data', (chunk: string | Buffer) => {
          if (chunk.toString().includes('hello from another terminal')) resolve();
        });
      });
      // --follow starts at the log end: give it time to get there before the new record.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await run(produce, elsewhere)).code).toBe(0);
      await arrived;
      follower.kill('SIGINT');
      server.kill('SIGINT');
      expect((await followed).code).toBe(130);
      expect((await served).code).toBe(0);
    } finally {
      cleanup();
    }
  });
});
