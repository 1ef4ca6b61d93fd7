import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { brook, start, tempDataDir, type RunResult } from './helpers.js';

let server: { child: ChildProcess; result: Promise<RunResult> };
let address: string;
let cleanup: () => void;

beforeAll(async () => {
  const temp = tempDataDir();
  cleanup = temp.cleanup;
  const started = start(['--data-dir', temp.dir, 'serve', '--port', '0']);
  server = started;
  address = await new Promise<string>((resolve) => {
    let text = '';
    started.child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (\S+:\d+)/.exec(text);
      if (match) resolve(match[1]!);
    });
  });
});

afterAll(async () => {
  server.child.kill('SIGINT');
  await server.result;
  cleanup();
});

describe('brook --broker host:port', () => {
  it('runs topics, produce and consume through a running brook serve', async () => {
    const b = ['--broker', address];
    expect((await brook([...b, 'topics', 'create', 'remote', '--partitions', '2'])).code).toBe(0);
    const produced = await brook([...b, 'produce', 'remote', '--key-separator', ':'], { input: 'a:1\nb:2\na:3\n' });
    expect(produced.code).toBe(0);
    const consumed = await brook([...b, 'consume', 'remote', '--key-separator', ':']);
    expect(consumed.stdout.split('\n').filter(Boolean).sort()).toEqual(['a:1', 'a:3', 'b:2']);
    const described = JSON.parse((await brook([...b, 'topics', 'describe', 'remote', '--json'])).stdout);
    expect(described.partitions.reduce((n: number, p: { logEndOffset: number }) => n + p.logEndOffset, 0)).toBe(3);
  });

  it('consume --follow alone starts at the end, like Kafka\'s console consumer', async () => {
    const b = ['--broker', address];
    expect((await brook([...b, 'produce', 'tailed'], { input: 'old-1\nold-2\n' })).code).toBe(0);
    const follower = start([...b, 'consume', 'tailed', '--follow']);
    let printed = false;
    let exited = false;
    void follower.firstOutput.then(() => (printed = true));
    void follower.result.then(() => (exited = true));
    // The follower picks its start offset after it connects; produce until it prints, so the test
    // cannot depend on which came first. Whatever it prints must be new records, in order.
    for (let i = 0; !printed; i++) {
      if (exited) throw new Error(`the follower exited before printing: ${(await follower.result).stderr}`);
      if (i >= 100) throw new Error('the follower printed nothing in 100 produces');
      expect((await brook([...b, 'produce', 'tailed'], { input: `new-${i}\n` })).code).toBe(0);
      await Promise.race([follower.firstOutput, new Promise((r) => setTimeout(r, 100))]);
    }
    follower.child.kill('SIGINT');
    const result = await follower.result;
    expect(result.code).toBe(130); // 128 + SIGINT, as for produce
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^new-\d+$/);
    const numbers = lines.map((l) => Number(l.slice('new-'.length)));
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
  }, 120_000);

  it('reads the address from BROOK_BROKER and reports an unreachable broker in one line', async () => {
    expect((await brook(['topics', 'list', '--json'], { env: { BROOK_BROKER: address } })).code).toBe(0);
    const refused = await brook(['--broker', '127.0.0.1:1', 'topics', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^brook: .*127\.0\.0\.1:1.*\n$/);
  });
});
