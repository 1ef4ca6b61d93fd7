/**
 * The existing shippers against `brook serve`: rsyslog's omkafka (Debian rsyslog-kafka) and
 * syslog-ng's kafka-c destination (Debian syslog-ng-mod-rdkafka) forward `logger` messages into
 * topics. The forwarding configuration is the README's recipe, read from README.md (between its
 * `<!-- recipe: ... -->` markers) with only the broker address replaced, so the README's recipe is
 * what is tested. Each daemon runs as a test process with its own config, port, pid file and work
 * dir in a temp dir; the system's syslog is not touched.
 *
 * The two packages conflict (both are "system-log-daemon"), so scripts/install-shippers.sh unpacks
 * them under /opt/brook-shippers (or $BROOK_SHIPPERS_DIR); binaries on PATH are used first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRfc5424 } from '../../src/inputs/syslog/rfc5424.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readTopic, requireTool, sleep, startServe, waitForRecords, type Serve } from './helpers.js';

const PREFIX = process.env.BROOK_SHIPPERS_DIR ?? '/opt/brook-shippers';
const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

function which(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** The first file named `name` under `dir` (a shallow search of the usual library dirs). */
function findFile(dirs: string[], name: string): string | null {
  for (const dir of dirs) {
    const found = spawnSync('find', [dir, '-name', name, '-print', '-quit'], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  return null;
}

const rsyslogd = which('rsyslogd') ?? (fs.existsSync(`${PREFIX}/usr/sbin/rsyslogd`) ? `${PREFIX}/usr/sbin/rsyslogd` : null);
const omkafka = findFile([`${PREFIX}/usr/lib`, '/usr/lib'], 'omkafka.so');
const syslogNg = which('syslog-ng') ?? (fs.existsSync(`${PREFIX}/usr/sbin/syslog-ng`) ? `${PREFIX}/usr/sbin/syslog-ng` : null);
const ngKafka = findFile([`${PREFIX}/usr/lib/syslog-ng`, '/usr/lib/syslog-ng'], 'libkafka.so');
const ngLibrary = findFile([`${PREFIX}/usr/lib/syslog-ng`, '/usr/lib'], 'libsyslog-ng-*.so.0');
const INSTALL = 'scripts/install-shippers.sh';
const rsyslogFound = rsyslogd !== null && omkafka !== null ? true : requireTool('rsyslogd-with-omkafka', [], INSTALL);
const syslogNgFound = syslogNg !== null && ngKafka !== null ? true : requireTool('syslog-ng-with-kafka-c', [], INSTALL);
const loggerFound = requireTool('logger', ['--version'], 'apt-get install bsdutils');

/** The fenced block after `<!-- recipe: name -->` in README.md, broker address replaced. */
function recipe(name: string, brokerAddress: string): string {
  const match = new RegExp(`<!-- recipe: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (match === null) throw new Error(`README.md has no recipe '${name}'`);
  return match[1]!.replaceAll('127.0.0.1:9092', brokerAddress);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, daemon: ChildProcess, log: () => string): Promise<void> {
  for (;;) {
    if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
}

function startDaemon(command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return { child, log: () => log };
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** `logger` sends each stdin line as one RFC 5424 message over TCP. */
function sendWithLogger(port: number, tag: string, messages: string[], extra: string[] = []): void {
  const sent = spawnSync('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc5424', '-t', tag, ...extra], { input: `${messages.join('\n')}\n`, timeout: 60_000 });
  expect(sent.status, sent.stderr?.toString()).toBe(0);
}

const MESSAGES = Array.from({ length: 200 }, (_, i) => `shipped message ${i + 1}`);

describe.skipIf(!loggerFound)('existing shippers forwarding into brook serve', () => {
  let serve: Serve;
  const daemons: ChildProcess[] = [];

  beforeAll(async () => {
    serve = await startServe([]);
  });

  afterAll(async () => {
    await Promise.all(daemons.map(stopDaemon));
    expect(await serve?.stop()).toBe(0);
  });

  it.skipIf(!rsyslogFound)('rsyslog omkafka (the README recipe) forwards logger messages', async () => {
    const dir = tempDir('brook-rsyslog-');
    const port = await freePort();
    // Test-only: a work dir and a TCP input on a free port; then the recipe, verbatim.
    const config = [
      `global(workDirectory="${dir}")`,
      'module(load="imtcp")',
      `input(type="imtcp" address="127.0.0.1" port="${port}")`,
      recipe('rsyslog-omkafka', serve.address),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'rsyslog.conf'), config);
    const daemon = startDaemon(rsyslogd!, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid'), '-M', path.dirname(omkafka!)]);
    daemons.push(daemon.child);
    await waitForPort(port, daemon.child, daemon.log);
    sendWithLogger(port, 'viarsyslog', MESSAGES);
    const records = await waitForRecords(serve.address, 'syslog', MESSAGES.length);
    await stopDaemon(daemon.child);
    // omkafka sends RFC 5424 lines (RSYSLOG_SyslogProtocol23Format, with a final LF).
    const received = (await readTopic(serve.address, 'syslog')).map((r) => parseRfc5424(r.value!.toString().trimEnd()).message);
    expect(received.map((m) => m.message).sort()).toEqual([...MESSAGES].sort());
    expect(new Set(received.map((m) => m.app_name))).toEqual(new Set(['viarsyslog']));
    expect(records.length).toBe(MESSAGES.length);
  });

  it.skipIf(!syslogNgFound)('syslog-ng kafka-c (the README recipe) forwards logger messages', async () => {
    const dir = tempDir('brook-syslog-ng-');
    const port = await freePort();
    const config = [
      '@version: 3.38',
      `source s_src { syslog(transport("tcp") ip("127.0.0.1") port(${port})); };`,
      recipe('syslog-ng-kafka', serve.address),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'syslog-ng.conf'), config);
    const daemon = startDaemon(syslogNg!, [
      '-F', '-f', path.join(dir, 'syslog-ng.conf'), `--module-path=${path.dirname(ngKafka!)}`, '--no-caps',
      '-p', path.join(dir, 'syslog-ng.pid'), '-c', path.join(dir, 'syslog-ng.ctl'), '-R', path.join(dir, 'syslog-ng.persist'),
    ], ngLibrary === null ? {} : { LD_LIBRARY_PATH: path.dirname(ngLibrary) });
    daemons.push(daemon.child);
    await waitForPort(port, daemon.child, daemon.log);
    sendWithLogger(port, 'viasyslogng', MESSAGES, ['--octet-count']);
    await waitForRecords(serve.address, 'syslog-ng', MESSAGES.length);
    await stopDaemon(daemon.child);
    const received = (await readTopic(serve.address, 'syslog-ng')).map((r) => JSON.parse(r.value!.toString()) as { PROGRAM: string; MESSAGE: string });
    expect(received.map((m) => m.MESSAGE).sort()).toEqual([...MESSAGES].sort());
    expect(new Set(received.map((m) => m.PROGRAM))).toEqual(new Set(['viasyslogng']));
  });
});
