/**
 * Several commands on one data dir: while a `brook serve` holds it, commands without --broker go
 * through that server (the lock file records its address); while another CLI command holds it,
 * the error says to run `brook serve`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { brook, start, tempDataDir } from './helpers.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess | null = null;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await server?.stop();
  server = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('a data dir shared by several commands', () => {
  it('goes through the running brook serve that holds the data dir, without --broker', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    server = await startServer(dir);
    expect(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).toBe(`${server.pid}\nkafka=${server.address}\n`);
    const d = ['--data-dir', dir];
    const produced = await brook([...d, 'produce', 'shared'], { input: 'one\ntwo\nthree\n' });
    expect(produced).toMatchObject({ code: 0 });
    expect(produced.stderr).toMatch(/^produced 3 records/);
    // A follower and a second command at once: both through the server.
    const follower = start([...d, 'consume', 'shared', '--follow', '--from-beginning']);
    await follower.firstOutput;
    expect((await brook([...d, 'produce', 'shared'], { input: 'four\n' })).code).toBe(0);
    expect((await brook([...d, 'topics', 'list'])).stdout).toContain('shared');
    expect((await brook([...d, 'consume', 'shared'])).stdout).toBe('one\ntwo\nthree\nfour\n');
    follower.child.kill('SIGINT');
    const followed = await follower.result;
    expect(followed.stdout).toContain('four\n');
  });

  it('tells a second command to run brook serve while another CLI command holds the data dir', async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    const d = ['--data-dir', dir];
    expect((await brook([...d, 'produce', 'held'], { input: 'x\n' })).code).toBe(0);
    const holder = start([...d, 'consume', 'held', '--follow', '--from-beginning']);
    await holder.firstOutput;
    const second = await brook([...d, 'produce', 'held'], { input: 'y\n' });
    holder.child.kill('SIGINT');
    await holder.result;
    expect(second.code).toBe(1);
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`in use by another brook command (process ${holder.child.pid})`);
    expect(second.stderr).toContain(`run \`brook --data-dir ${dir} serve\``);
  });
});
