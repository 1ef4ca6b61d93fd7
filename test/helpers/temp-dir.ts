/**
 * Every test's temporary directory comes from here, so that each is removed after its test file
 * (test/setup/remove-temp-dirs.ts, after the file's own afterAll hooks have stopped what used it):
 * left behind, the data dirs of one full run add up to gigabytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export function tempDir(prefix = 'brook-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes them all, retrying a directory a killed process may still have been writing into. */
export function removeTempDirs(): void {
  const failed: string[] = [];
  for (const dir of made.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      failed.push(dir);
    }
  }
  if (failed.length > 0) throw new Error(`could not remove temporary directories: ${failed.join(', ')}`);
}
