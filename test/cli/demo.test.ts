import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brook, tempDataDir } from './helpers.js';

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
});
