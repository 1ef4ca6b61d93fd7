/**
 * Operating-system failures end a command with one line naming what and where, never a stack:
 * a read-only data dir (a tmpfs remounted read-only), a data dir path that is a file, too many
 * open files (a low `ulimit -n`), and the wording of the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BROOK, brook, pipeline } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeError } from '../../src/cli/os-errors.js';
import { StorageError } from '../../src/common/errors.js';

function errno(code: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${path}'`), { code, errno: -1, syscall: 'open', path });
}

describe('describeError', () => {
  it('says what happened in words and where, for the errno codes a data dir meets', () => {
    expect(describeError(errno('ENOSPC', '/d/t-0/x.log'))).toBe('no space left on device (/d/t-0/x.log)');
    expect(describeError(errno('EROFS', '/d/.lock'))).toBe('read-only file system (/d/.lock)');
    expect(describeError(errno('EACCES', '/d'))).toBe('permission denied (/d)');
    expect(describeError(errno('EEXIST', '/d'))).toBe('exists and is not a directory (/d)');
    expect(describeError(errno('EMFILE', '/d/x'))).toBe('too many open files in this process (raise `ulimit -n`) (/d/x)');
  });

  it('keeps what the wrapping error was doing, and finds the path in its message for descriptor calls', () => {
    const cause = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    expect(describeError(new StorageError('append to /d/t-0 failed: ENOSPC: no space left on device, write', cause)))
      .toBe('append to /d/t-0 failed: no space left on device (/d/t-0)');
  });

  it('reads the cause a worker thread that could not start gives in its message', () => {
    const workerFailure = Object.assign(new Error('Worker initialization failure: EMFILE'), { code: 'ERR_WORKER_INIT_FAILED' });
    expect(describeError(workerFailure)).toBe('too many open files in this process (raise `ulimit -n`)');
  });
});

describe('brook on a data dir the system refuses', () => {
  const mount = tempDir('brook-ro-');
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount], { stdio: 'pipe' });
    mounted = true;
  } catch {
    console.warn('read-only data dir test skipped: cannot mount a tmpfs (run as root with mount(8))');
  }
  afterAll(() => {
    if (mounted) spawnSync('umount', [mount]);
  });

  it.skipIf(!mounted)('refuses a read-only data dir in one line naming the file system problem and the path', async () => {
    const dataDir = path.join(mount, 'data');
    expect((await brook(['--data-dir', dataDir, 'produce', 't'], { input: 'a\n' })).code).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    for (const args of [['topics', 'list'], ['consume', 't'], ['produce', 't']]) {
      const result = await brook(['--data-dir', dataDir, ...args], { input: 'b\n' });
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 1, stderr: `brook: read-only file system (${dataDir}/.lock)\n` });
    }
  });

  it('refuses a data dir path that is a file in one line', async () => {
    const file = path.join(tempDir('brook-file-'), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const result = await brook(['--data-dir', file, 'topics', 'list']);
    expect(result).toMatchObject({ code: 1, stderr: `brook: exists and is not a directory (${file})\n` });
    const below = await brook(['--data-dir', path.join(file, 'sub'), 'topics', 'list']);
    expect(below).toMatchObject({ code: 1, stderr: `brook: not a directory (${path.join(file, 'sub')})\n` });
  });

  it('reports too many open files in one line, and within a low limit that still lets it start keeps its files under it', async () => {
    const dataDir = tempDir('brook-emfile-');
    expect((await brook(['--data-dir', dataDir, 'topics', 'create', 'many', '--partitions', '20'])).code).toBe(0);
    expect((await brook(['--data-dir', dataDir, 'produce', 'many'], { input: 'a\nb\nc\n' })).code).toBe(0);
    const starved = await pipeline(`ulimit -n 30; "${process.execPath}" "${BROOK}" --data-dir ${dataDir} consume many`);
    expect(starved.code).toBe(1);
    expect(starved.stderr).toMatch(/^brook: (.*: )?too many open files in this process \(raise `ulimit -n`\)( \(\S+\))?\n$/);
    // 20 partitions under 80 descriptors: the storage layer's descriptor budget (RLIMIT_NOFILE).
    const tight = await pipeline(`ulimit -n 80; "${process.execPath}" "${BROOK}" --data-dir ${dataDir} consume many`);
    expect({ code: tight.code, stderr: tight.stderr, lines: tight.stdout.split('\n').sort() }).toEqual({ code: 0, stderr: '', lines: ['', 'a', 'b', 'c'] });
  });
});
