import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { brook, tempDataDir } from './helpers.js';

let dataDir: string;
let cleanup: () => void;
beforeEach(() => ({ dir: dataDir, cleanup } = tempDataDir()));
afterEach(() => cleanup());

const oneLineError = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^brook: /);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
};

describe('brook --help', () => {
  it.each([
    [[]], [['serve']], [['topics']], [['topics', 'create']], [['topics', 'list']], [['topics', 'describe']],
    [['topics', 'delete']], [['topics', 'alter']], [['produce']], [['consume']], [['demo']],
  ])('brook %j --help prints usage and exits 0', async (words) => {
    const { code, stdout } = await brook([...words, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: brook/);
  });
});

describe('brook topics', () => {
  it('lists and describes topics without opening the partitions it does not need', async () => {
    const d = ['--data-dir', dataDir];
    expect((await brook([...d, 'topics', 'create', 'wide', '--partitions', '40'])).code).toBe(0);
    expect((await brook([...d, 'topics', 'create', 'other', '--partitions', '2'])).code).toBe(0);
    // A partition directory that cannot be opened: only a command that opens it may notice.
    fs.rmSync(path.join(dataDir, 'wide-7'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'wide-7'), 'not a directory');
    const listed = await brook([...d, 'topics', 'list']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/other\s+2\nwide\s+40\n$/);
    const described = await brook([...d, 'topics', 'describe', 'other', '--json']);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).partitions).toHaveLength(2);
  });

  it('creates, lists, describes, alters, grows and deletes a topic', async () => {
    const d = ['--data-dir', dataDir];
    const created = await brook([...d, 'topics', 'create', 'logs', '--partitions', '3', '--config', 'retention.ms=86400000']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/created topic 'logs' with 3 partitions/);

    const listed = await brook([...d, 'topics', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'logs', partitions: 3 })]);
    expect((await brook([...d, 'topics', 'list'])).stdout).toMatch(/^TOPIC\s+PARTITIONS\nlogs\s+3\n$/);

    await brook([...d, 'produce', 'logs'], { input: 'a\nb\nc\n' });
    const described = JSON.parse((await brook([...d, 'topics', 'describe', 'logs', '--json'])).stdout);
    expect(described.configs['retention.ms']).toBe('86400000');
    expect(described.partitions).toHaveLength(3);
    const total = described.partitions.reduce((n: number, p: { logEndOffset: number }) => n + p.logEndOffset, 0);
    expect(total).toBe(3);
    for (const p of described.partitions) expect(p).toMatchObject({ logStartOffset: 0, segmentCount: expect.any(Number), sizeBytes: expect.any(Number) });
    expect((await brook([...d, 'topics', 'describe', 'logs'])).stdout).toMatch(/LOG-START-OFFSET\s+LOG-END-OFFSET/);

    expect((await brook([...d, 'topics', 'alter', 'logs', '--config', 'retention.ms=1000', '--partitions', '4'])).code).toBe(0);
    const altered = JSON.parse((await brook([...d, 'topics', 'describe', 'logs', '--json'])).stdout);
    expect(altered.configs['retention.ms']).toBe('1000');
    expect(altered.partitionCount).toBe(4);

    expect((await brook([...d, 'topics', 'delete', 'logs'])).code).toBe(0);
    expect(JSON.parse((await brook([...d, 'topics', 'list', '--json'])).stdout)).toEqual([]);
  });

  it.each([
    [['topics', 'create', 'bad/name'], /bad\/name/],
    [['topics', 'create', 't', '--partitions', '0'], /positive integer/],
    [['topics', 'create', 't', '--config', 'retention.ms=soon'], /retention\.ms/],
    [['topics', 'create', 't', '--config', 'no.such.config=1'], /no\.such\.config/],
    [['topics', 'create', 't', '--partitons', '2'], /unknown option/],
    [['topics', 'describe', 'missing'], /missing/],
    [['topics', 'delete', 'missing'], /missing/],
    [['produce', 't', '--acks', '2'], /acks/],
    [['produce', 't', '--compression', 'brotli'], /compression/],
    [['consume', 't', '--offset', '-1'], /offset/],
    [['consume', 'missing', '--from-beginning'], /missing/],
    [['frobnicate'], /unknown command/],
  ])('brook %j fails with one line on stderr and changes nothing', async (args, message) => {
    const result = await brook(['--data-dir', dataDir, ...args]);
    expect(result.code).not.toBe(0);
    oneLineError(result.stderr);
    expect(result.stderr).toMatch(message);
    const listed = await brook(['--data-dir', dataDir, 'topics', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('reads the data dir from BROOK_DATA_DIR', async () => {
    await brook(['topics', 'create', 'from-env'], { env: { BROOK_DATA_DIR: dataDir } });
    const listed = await brook(['--data-dir', dataDir, 'topics', 'list', '--json']);
    expect(JSON.parse(listed.stdout).map((t: { name: string }) => t.name)).toEqual(['from-env']);
  });
});
