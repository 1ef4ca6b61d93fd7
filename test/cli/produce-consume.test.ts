import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BROOK, REPO, brook, finished, pipeline, start, tempDataDir } from './helpers.js';

let dataDir: string;
let cleanup: () => void;
let d: string[];
beforeEach(() => {
  ({ dir: dataDir, cleanup } = tempDataDir());
  d = ['--data-dir', dataDir];
});
afterEach(() => cleanup());

interface JsonRecord { topic: string; partition: number; offset: number; timestamp: number; key: string | null; value: string | null; headers: Array<{ key: string; value: string | null }> }
const jsonLines = (text: string): JsonRecord[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as JsonRecord);

describe('brook produce | consume', () => {
  it('moves a million lines through a 1-partition topic in order', async () => {
    const produced = await pipeline(`seq 1 1000000 | brook --data-dir ${dataDir} produce numbers`);
    expect(produced.code).toBe(0);
    expect(produced.stderr).toMatch(/produced 1000000 records/);
    expect(produced.stderr).toMatch(/records\/s/);
    const counted = await pipeline(`brook --data-dir ${dataDir} consume numbers --from-beginning | wc -l`);
    expect(counted.stdout.trim()).toBe('1000000');
    const consumed = await brook([...d, 'consume', 'numbers', '--from-beginning']);
    const lines = consumed.stdout.split('\n');
    expect(lines).toHaveLength(1_000_001); // trailing newline
    for (let i = 0; i < 1_000_000; i++) if (lines[i] !== String(i + 1)) expect.fail(`line ${i} is ${lines[i]}`);
  });

  it('prints the summary as one JSON object on stdout with --json, and nothing on stderr', async () => {
    const produced = await pipeline(`seq 1 1000 | brook --data-dir ${dataDir} produce counted --json`);
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    const summary = JSON.parse(produced.stdout);
    const digits = Array.from({ length: 1000 }, (_, i) => String(i + 1).length).reduce((a, b) => a + b, 0);
    expect(summary).toMatchObject({ topic: 'counted', recordCount: 1000, byteCount: digits, skippedCount: 0 });
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.recordsPerSec).toBe(Math.round(1000 / summary.seconds));
    const counted = await pipeline(`brook --data-dir ${dataDir} consume counted | wc -l`);
    expect(counted.stdout.trim()).toBe('1000');
  });

  it('keeps offset order per partition and places keys like the Java client on a 4-partition topic', async () => {
    await brook([...d, 'topics', 'create', 'keyed', '--partitions', '4']);
    const produced = await pipeline(`seq 1 50000 | awk '{ print "user-" ($1 % 13) " " $1 }' | brook --data-dir ${dataDir} produce keyed --key-separator ' '`);
    expect(produced.code).toBe(0);
    const records = jsonLines((await brook([...d, 'consume', 'keyed', '--format', 'json'])).stdout);
    expect(records).toHaveLength(50_000);
    const lastOffset = new Map<number, number>();
    const lastValue = new Map<string, number>();
    for (const r of records) {
      expect(r.partition).toBe(partitionForKey(Buffer.from(r.key!), 4));
      expect(r.offset).toBeGreaterThan(lastOffset.get(r.partition) ?? -1);
      lastOffset.set(r.partition, r.offset);
      expect(Number(r.value)).toBeGreaterThan(lastValue.get(r.key!) ?? 0);
      lastValue.set(r.key!, Number(r.value));
    }
    expect(lastOffset.size).toBe(4);
  });

  it('round-trips CRLF input byte for byte, and drops the CRs with --strip-cr', async () => {
    const input = Buffer.from('one\r\ntwo\r\n\r\nlast\r\n');
    expect((await brook([...d, 'produce', 'crlf'], { input })).code).toBe(0);
    const consumed = spawnSync(process.execPath, [BROOK, ...d, 'consume', 'crlf'], { cwd: REPO });
    expect(Buffer.compare(consumed.stdout, input)).toBe(0);
    expect((await brook([...d, 'produce', 'stripped', '--strip-cr'], { input: 'one\r\ntwo\r\nthree' })).code).toBe(0);
    expect((await brook([...d, 'consume', 'stripped'])).stdout).toBe('one\ntwo\nthree\n');
  });

  it('round-trips --key-separator keys, including keyless lines', async () => {
    await brook([...d, 'produce', 'kv', '--key-separator', '='], { input: 'a=1\nb=2=x\nnokey\n' });
    const json = jsonLines((await brook([...d, 'consume', 'kv', '--format', 'json'])).stdout);
    expect(json.map((r) => [r.key, r.value])).toEqual([['a', '1'], ['b', '2=x'], [null, 'nokey']]);
    expect((await brook([...d, 'consume', 'kv', '--key-separator', '='])).stdout).toBe('a=1\nb=2=x\n=nokey\n');
  });

  it('round-trips --format json with headers, null values and explicit partitions', async () => {
    await brook([...d, 'topics', 'create', 'events', '--partitions', '2']);
    const input = [
      '{"key":"k1","value":"v1","headers":{"source":"cli","empty":null}}',
      '{"key":"k2","value":null,"partition":1}',
      '{"value":{"nested":true},"headers":[{"key":"h","value":"1"},{"key":"h","value":"2"}],"partition":0}',
    ].join('\n');
    expect((await brook([...d, 'produce', 'events', '--format', 'json'], { input })).code).toBe(0);
    const out = jsonLines((await brook([...d, 'consume', 'events', '--format', 'json'])).stdout);
    const byKey = (k: string | null) => out.find((r) => r.key === k)!;
    expect(byKey('k1').headers).toEqual([{ key: 'source', value: 'cli' }, { key: 'empty', value: null }]);
    expect(byKey('k2')).toMatchObject({ partition: 1, value: null });
    expect(byKey(null)).toMatchObject({ partition: 0, value: '{"nested":true}', headers: [{ key: 'h', value: '1' }, { key: 'h', value: '2' }] });

    // What consume prints, produce accepts again.
    const again = out.map((r) => JSON.stringify(r)).join('\n');
    expect((await brook([...d, 'produce', 'events-copy', '--format', 'json', '--partitions', '2'], { input: again })).code).toBe(0);
    const copy = jsonLines((await brook([...d, 'consume', 'events-copy', '--format', 'json'])).stdout);
    expect(copy.map(({ key, value, headers, partition }) => ({ key, value, headers, partition })))
      .toEqual(out.map(({ key, value, headers, partition }) => ({ key, value, headers, partition })));
  });

  it('stops at a bad JSON line with its line number, writing nothing from it or after it', async () => {
    const input = '{"value":"ok1"}\n{"value":"ok2"}\n{"value": oops}\n{"value":"after"}\n';
    const result = await brook([...d, 'produce', 'strict', '--format', 'json'], { input });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^brook: line 3: invalid JSON/);
    expect((await brook([...d, 'consume', 'strict'])).stdout).toBe('ok1\nok2\n');
  });

  it('creates no topic when the first JSON line is bad', async () => {
    const result = await brook([...d, 'produce', 'never', '--format', 'json'], { input: '{"key":"k"}\n{"value":"v"}\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^brook: line 1: missing "value"/);
    expect(JSON.parse((await brook([...d, 'topics', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('skips bad lines with a warning under --skip-invalid', async () => {
    const input = '{"value":"a"}\nnope\n{"value":"b","partition":7}\n{"value":"c"}\n';
    const result = await brook([...d, 'produce', 'lenient', '--format', 'json', '--skip-invalid'], { input });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/line 2: invalid JSON.*skipped/);
    expect(result.stderr).toMatch(/line 3: partition 7 does not exist.*skipped/);
    expect((await brook([...d, 'consume', 'lenient'])).stdout).toBe('a\nc\n');
  });

  it('refuses an unknown topic with --no-auto-create', async () => {
    const result = await brook([...d, 'produce', 'absent', '--no-auto-create'], { input: 'x\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^brook: .*absent.*does not exist/);
  });

  it('skips a line the topic cannot take with a warning naming it, or with --long-lines fail stops there in one line', async () => {
    expect((await brook([...d, 'topics', 'create', 'small', '--config', 'max.message.bytes=512'])).code).toBe(0);
    const input = `before\n${'x'.repeat(2000)}\nafter\n`;
    const skipped = await brook([...d, 'produce', 'small'], { input });
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/^brook: line 2: 2000 bytes, over --max-line-bytes 415 \(skipped\)\n/);
    expect(skipped.stderr).toMatch(/produced 2 records.*; skipped 1 line\n$/);
    const failed = await brook([...d, 'produce', 'small', '--long-lines', 'fail'], { input });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^brook: line 2 is longer than 415 bytes.*tail -n \+2/);
    expect((await brook([...d, 'consume', 'small', '--from-beginning'])).stdout).toBe('before\nafter\nbefore\n');
  });

  it('sizes batches by the topic\'s segment.bytes, so 20,000 lines into segment.bytes=65536 are all stored', async () => {
    expect((await brook([...d, 'topics', 'create', 'fmt', '--config', 'segment.bytes=65536'])).code).toBe(0);
    const input = Array.from({ length: 20_000 }, (_, i) => `${i + 1}\n`).join('');
    const produced = await brook([...d, 'produce', 'fmt'], { input });
    expect(produced.code).toBe(0);
    expect(produced.stderr).toMatch(/^produced 20000 records/);
    expect((await brook([...d, 'consume', 'fmt'])).stdout).toBe(input);
    const described = JSON.parse((await brook([...d, 'topics', 'describe', 'fmt', '--json'])).stdout) as { partitions: Array<{ segmentCount: number }> };
    expect(described.partitions[0]!.segmentCount).toBeGreaterThan(1);
  });

  it('warns of no listener leak on a topic with more partitions than Node\'s listener limit', async () => {
    expect((await brook([...d, 'topics', 'create', 'wide', '--partitions', '12'])).code).toBe(0);
    const produced = await brook([...d, 'produce', 'wide'], { input: Array.from({ length: 200 }, (_, i) => `${i}\n`).join('') });
    expect(produced.stderr).toMatch(/^produced 200 records.*\n$/);
    for (const format of ['value', 'json']) {
      const consumed = await brook([...d, 'consume', 'wide', '--format', format]);
      expect({ format, code: consumed.code, stderr: consumed.stderr }).toEqual({ format, code: 0, stderr: '' });
    }
    const toFile = await pipeline(`brook --data-dir ${dataDir} consume wide > /dev/null`);
    expect(toFile.stderr).toBe('');
  });

  it('honours --partition, --offset and --max-messages', async () => {
    await brook([...d, 'topics', 'create', 'p', '--partitions', '2']);
    await brook([...d, 'produce', 'p', '--partition', '1'], { input: 'a\nb\nc\nd\n' });
    expect((await brook([...d, 'consume', 'p', '--partition', '0'])).stdout).toBe('');
    expect((await brook([...d, 'consume', 'p', '--partition', '1', '--offset', '1', '--max-messages', '2'])).stdout).toBe('b\nc\n');
  });

  it('ends cleanly with exit 0 when stdout closes early (| head)', async () => {
    await pipeline(`seq 1 200000 | brook --data-dir ${dataDir} produce many`);
    const result = await pipeline(`brook --data-dir ${dataDir} consume many --from-beginning | head -5; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(result.stdout).toBe('1\n2\n3\n4\n5\n');
    expect(result.stderr).toBe('status=0\n');
  });

  it('exits 130 on SIGINT while following, like produce, and the data dir reopens clean', async () => {
    await brook([...d, 'produce', 'tail'], { input: 'first\nsecond\n' });
    const follower = start([...d, 'consume', 'tail', '--follow', '--from-beginning']);
    await follower.firstOutput;
    follower.child.kill('SIGINT');
    const result = await follower.result;
    expect(result).toMatchObject({ code: 130, stderr: '' });
    expect(result.stdout).toBe('first\nsecond\n');
    const described = await brook([...d, 'topics', 'describe', 'tail', '--json']);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).partitions[0].logEndOffset).toBe(2);
  });

  it('on SIGINT stops reading, flushes, exits 130, and everything its summary counts is in the log', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    const child = spawn(process.execPath, [BROOK, ...d, 'produce', 'interrupted'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const result = finished(child);
    child.stdin!.on('error', () => undefined);
    child.stdin!.write(lines.slice(0, 10_000).join('\n') + '\n'); // stdin stays open: a tail -F that never ends
    // Wait until some records reached the partition's log file (a stat, not a read of the locked dir).
    const logDir = join(dataDir, 'interrupted-0');
    const logBytes = (): number => (existsSync(logDir) ? readdirSync(logDir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(logDir, f)).size, 0) : 0);
    for (let waitedMs = 0; logBytes() === 0; waitedMs += 20) {
      if (waitedMs > 60_000) throw new Error('nothing was written within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    const { code, stderr } = await result;
    expect(code).toBe(130);
    const produced = Number(/produced (\d+) records/.exec(stderr)?.[1]);
    expect(produced).toBeGreaterThan(0);
    const consumed = await brook([...d, 'consume', 'interrupted', '--from-beginning']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(lines.slice(0, produced).map((l) => l + '\n').join(''));
  });

  it('refuses a data dir locked by another process, naming its pid', async () => {
    await brook([...d, 'produce', 'locked'], { input: 'x\n' });
    const holder = start([...d, 'consume', 'locked', '--follow', '--from-beginning']);
    await holder.firstOutput;
    const second = await brook([...d, 'topics', 'list']);
    holder.child.kill('SIGINT');
    await holder.result;
    expect(second.code).toBe(1);
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(String(holder.child.pid));
    expect(second.stderr).toContain('serve');
  });
});
