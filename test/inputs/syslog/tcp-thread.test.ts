/**
 * The syslog TCP listener on its own thread (tcp-thread.ts), through a real embedded broker: which
 * routing gets the thread; what it counts and writes (a last line without LF, a line cut at
 * max_line_bytes, one skipped, one that does not parse); close() waits until every line read is
 * acknowledged; a port in use fails the start with the listener's own error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Brook } from '../../../src/embedded/brook.js';
import { InputSink } from '../../../src/inputs/sink.js';
import { InputStats } from '../../../src/inputs/stats.js';
import { startSyslogInput, syslogRouting, type SyslogInputConfig } from '../../../src/inputs/syslog/syslog-input.js';
import { SyslogTcpInput } from '../../../src/inputs/syslog/syslog-tcp.js';
import { SyslogTcpThread } from '../../../src/inputs/syslog/tcp-thread.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openBrook(): Promise<Brook> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'brook-syslog-thread-'));
  const brook = await Brook.open({ dataDir });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => brook.close());
  return brook;
}

async function start(brook: Brook, config: SyslogInputConfig, log: string[] = []) {
  const stats = new InputStats('syslog test');
  const sink = new InputSink(brook.producer(), syslogRouting(config), stats, (line) => log.push(line));
  const input = await startSyslogInput(config, sink);
  return { input, stats };
}

/** Writes `text` on one connection and closes it; resolves once the server closed its side too. */
async function sendAndClose(port: number, text: string): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.end(text);
  await new Promise<void>((resolve) => socket.once('close', () => resolve()).resume());
}

async function values(brook: Brook, topic: string): Promise<Array<{ key: string | null; value: string; headers: string[] }>> {
  const out = [];
  for await (const record of brook.consumer({ topic, from: 'beginning', follow: false })) {
    out.push({ key: record.key?.toString() ?? null, value: record.value!.toString(), headers: record.headers.map((h) => `${h.key}=${h.value?.toString() ?? ''}`) });
  }
  return out;
}

describe('the syslog TCP listener thread', () => {
  it('takes a fixed topic keyed by hostname; a topic template stays on the main thread', async () => {
    const brook = await openBrook();
    const fixed = await start(brook, { listen: 'tcp://127.0.0.1:0', topic: 'logs' });
    cleanups.push(() => fixed.input.close());
    expect(fixed.input).toBeInstanceOf(SyslogTcpThread);
    const templated = await start(brook, { listen: 'tcp://127.0.0.1:0', topic: 'logs.{app_name}' });
    cleanups.push(() => templated.input.close());
    expect(templated.input).toBeInstanceOf(SyslogTcpInput);
    const byApp = await start(brook, { listen: 'tcp://127.0.0.1:0', topic: 'logs', keyField: 'app_name' });
    cleanups.push(() => byApp.input.close());
    expect(byApp.input).toBeInstanceOf(SyslogTcpInput);
  });

  it('writes and counts every line read, and close() waits for their acknowledgements', async () => {
    const brook = await openBrook();
    const { input, stats } = await start(brook, { listen: 'tcp://127.0.0.1:0', topic: 'logs', maxLineBytes: 64 });
    expect(input).toBeInstanceOf(SyslogTcpThread);
    const lines = [
      '<134>1 2024-05-01T12:00:00.5Z host1 app 42 ID1 - first',
      `<134>1 2024-05-01T12:00:01Z host1 app 42 ID1 - ${'x'.repeat(80)}`, // cut at 64 bytes
      'not syslog at all',
    ];
    const many = Array.from({ length: 5000 }, (_, i) => `<13>1 2024-05-01T12:00:02Z host2 app - - - line ${i}`);
    await sendAndClose((input as SyslogTcpThread).port, [...lines, ...many].join('\n') + '\n<13>1 - host3 app - - - last without LF');
    await input.close(); // every line read is acknowledged once this resolves
    const stored = await values(brook, 'logs');
    expect(stored.length).toBe(3 + 5000 + 1);
    expect(stats.counts).toMatchObject({ receivedCount: 5004, acknowledgedCount: 5004, truncatedCount: 1, unparsedCount: 1, failedCount: 0 });
    const first = stored.find((record) => record.value.includes('"first"'))!;
    expect(first.key).toBe('host1');
    expect(JSON.parse(first.value)).toMatchObject({ hostname: 'host1', app_name: 'app', procid: '42', msgid: 'ID1', message: 'first' });
    expect(stored.find((record) => record.headers.some((h) => h.startsWith('brook.truncated=')))?.key).toBe('host1');
    expect(stored.find((record) => record.headers.some((h) => h.startsWith('brook.parse-error=')))?.value).toBe('not syslog at all');
    expect(JSON.parse(stored.at(-1)!.value)).toMatchObject({ hostname: 'host3', message: 'last without LF' });
    // Each host's lines on its partition, in the order sent.
    const host2 = stored.filter((record) => record.key === 'host2').map((record) => JSON.parse(record.value).message);
    expect(host2).toEqual(many.map((_, i) => `line ${i}`));
  });

  it('counts lines skipped at max_line_bytes', async () => {
    const brook = await openBrook();
    const { input, stats } = await start(brook, { listen: 'tcp://127.0.0.1:0', topic: 'logs', maxLineBytes: 32, maxLinePolicy: 'skip' });
    await sendAndClose((input as SyslogTcpThread).port, `<13>1 - h a - - - ${'y'.repeat(64)}\n<13>1 - h a - - - ok\n`);
    await input.close();
    expect(stats.counts).toMatchObject({ receivedCount: 2, skippedCount: 1, acknowledgedCount: 1 });
    expect((await values(brook, 'logs')).map((record) => JSON.parse(record.value).message)).toEqual(['ok']);
  });

  it('fails to start with the listener error when the port is taken', async () => {
    const brook = await openBrook();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as net.AddressInfo).port;
    await expect(start(brook, { listen: `tcp://127.0.0.1:${port}`, topic: 'logs' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
