/**
 * Syslog over TCP: `count` RFC 5424 lines (LF framing, ~110 bytes each) sent by one local sender
 * (this process, writing a prepared buffer as fast as the socket takes it) into
 *   brook:    `brook serve --syslog tcp://...` — timed until every line is a record in the log
 *             (the topic's high watermark, read over the Kafka protocol);
 *   baseline: Debian's rsyslogd, imtcp → omfile — timed until the file holds every line.
 * Each pairing has both write the same thing per line, so that neither is timed doing less:
 *   json: Brook's default record value (a JSON object of the parsed message) against rsyslog
 *         writing a JSON line of the same fields (a list template, jsonf properties);
 *   raw:  `--syslog-format raw` (the line as received, keyed by hostname, its timestamp parsed)
 *         against rsyslog's "%rawmsg%\n";
 *   file: the same against omfile's own default format (RSYSLOG_FileFormat: timestamp,
 *         hostname, tag and MSG), rsyslog as configured with no template at all;
 *   defaults: each as it is out of the box: Brook's JSON records against omfile's default
 *         format (a line of about 110 bytes, not fsynced): Brook writes three times the bytes;
 *   msg:  Brook's JSON against rsyslog writing MSG alone ("%msg%\n", about 40 bytes): the
 *         harshest pairing, kept for comparison with earlier figures.
 * Both parse the RFC 5424 header in every pairing. Rounds alternate brook and rsyslog; medians;
 * the ratio is brook / rsyslog in lines/s. rsyslogd is found on PATH or under /opt/brook-shippers
 * (scripts/install-shippers.sh).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/syslog-tcp.js [count] [rounds] [pairing,...]`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spread, startBrookServe, waitForRecordCount } from '../../src/bench-lib/log-inputs.js';
import { findOnPath, freePort, stop } from '../../src/bench-lib/processes.js';
import { describeMachine, machineInfo, median } from '../../src/bench-lib/stats.js';

const SHIPPERS = process.env.BROOK_SHIPPERS_DIR ?? '/opt/brook-shippers';

function rsyslogPaths(): { rsyslogd: string; modules: string } {
  const rsyslogd = findOnPath('rsyslogd') ?? `${SHIPPERS}/usr/sbin/rsyslogd`;
  for (const modules of [`${SHIPPERS}/usr/lib/x86_64-linux-gnu/rsyslog`, `${SHIPPERS}/usr/lib/aarch64-linux-gnu/rsyslog`, '/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog']) {
    if (fs.existsSync(path.join(modules, 'imtcp.so'))) return { rsyslogd, modules };
  }
  throw new Error('rsyslog not found: run scripts/install-shippers.sh');
}

/** `count` lines, each `<134>1 <timestamp> host1 bench 4242 ID47 - message <n> <padding>\n`. */
function makeLines(count: number): Buffer {
  const parts: Buffer[] = [];
  const step = 10_000;
  for (let start = 0; start < count; start += step) {
    let text = '';
    for (let i = start; i < Math.min(count, start + step); i++) {
      text += `<134>1 2024-05-01T12:00:00.${String(i % 1_000_000).padStart(6, '0')}Z host1 bench 4242 ID47 - message ${String(i).padStart(9, '0')} lorem ipsum dolor sit\n`;
    }
    parts.push(Buffer.from(text));
  }
  return Buffer.concat(parts);
}

/** Writes `data` to host:port as fast as the socket drains; resolves when all is handed to the kernel. */
async function send(port: number, data: Buffer): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (let pos = 0; pos < data.length; pos += 1 << 20) {
    if (!socket.write(data.subarray(pos, Math.min(data.length, pos + (1 << 20))))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/** User + system CPU seconds a process (all its threads) has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Round {
  seconds: number;
  /** CPU seconds the receiver used for the run: on a shared machine, the steadier figure. */
  cpuSeconds: number;
}

interface Pairing {
  brookArgs: string[];
  /** The rsyslog template named "out", written per line; null: omfile's default. */
  template: string | null;
}

/** rsyslog properties for the fields of Brook's JSON value (records.ts), in its order. */
const JSON_FIELDS: Array<[string, string]> = [
  ['priority', 'pri'], ['facility', 'syslogfacility-text'], ['severity', 'syslogseverity-text'], ['version', 'protocol-version'],
  ['timestamp', 'timereported" dateFormat="rfc3339'], ['hostname', 'hostname'], ['app_name', 'app-name'], ['procid', 'procid'],
  ['msgid', 'msgid'], ['structured_data', 'structured-data'], ['message', 'msg'],
];

export const PAIRINGS: Record<string, Pairing> = {
  json: {
    brookArgs: [],
    template: 'template(name="out" type="list") { constant(value="{\\"format\\":\\"rfc5424\\",") ' +
      JSON_FIELDS.map(([out, name], i) => `${i === 0 ? '' : 'constant(value=",") '}property(outname="${out}" name="${name}" format="jsonf")`).join(' ') +
      ' constant(value="}\\n") }',
  },
  raw: { brookArgs: ['--syslog-format', 'raw'], template: 'template(name="out" type="string" string="%rawmsg%\\n")' },
  file: { brookArgs: ['--syslog-format', 'raw'], template: null },
  defaults: { brookArgs: [], template: null },
  msg: { brookArgs: [], template: 'template(name="out" type="string" string="%msg%\\n")' },
};

async function brookRound(data: Buffer, count: number, pairing: Pairing): Promise<Round> {
  const serve = await startBrookServe(['--syslog', 'tcp://127.0.0.1:0', ...pairing.brookArgs]);
  try {
    const port = Number(serve.syslog[0]!.split(':').at(-1));
    const cpuBefore = cpuSeconds(serve.child.pid!);
    const started = process.hrtime.bigint();
    const sent = send(port, data);
    const done = await waitForRecordCount(serve.kafka, 'syslog', count);
    await sent;
    return { seconds: Number(done - started) / 1e9, cpuSeconds: cpuSeconds(serve.child.pid!) - cpuBefore };
  } finally {
    await serve.stop();
  }
}

async function rsyslogRound(data: Buffer, count: number, pairing: Pairing): Promise<Round> {
  const { rsyslogd, modules } = rsyslogPaths();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-rsyslog-'));
  const port = await freePort();
  const out = path.join(dir, 'out.log');
  fs.writeFileSync(path.join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}")`,
    'module(load="imtcp")',
    pairing.template ?? '',
    `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="bench")`,
    `ruleset(name="bench") { action(type="omfile" file="${out}"${pairing.template === null ? '' : ' template="out"'}) }`,
  ].join('\n'));
  const child = spawn(rsyslogd, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'pid'), '-M', modules], { stdio: 'ignore' });
  try {
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const probe = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
        probe.once('connect', () => probe.destroy());
      });
      if (open) break;
      if (child.exitCode !== null) throw new Error('rsyslogd exited');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The probe's empty connection leaves nothing in the file.
    const cpuBefore = cpuSeconds(child.pid!);
    const started = process.hrtime.bigint();
    const sent = send(port, data);
    let lines = 0;
    let offset = 0;
    const buffer = Buffer.alloc(1 << 20);
    while (lines < count) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (!fs.existsSync(out)) continue;
      const fd = fs.openSync(out, 'r');
      for (;;) {
        const n = fs.readSync(fd, buffer, 0, buffer.length, offset);
        if (n === 0) break;
        for (let i = buffer.indexOf(10); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
        offset += n;
      }
      fs.closeSync(fd);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await sent;
    return { seconds, cpuSeconds: cpuSeconds(child.pid!) - cpuBefore };
  } finally {
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface PairingResult {
  brookLinesPerSec: number;
  rsyslogLinesPerSec: number;
  ratio: number;
}

export async function run(count = 1_000_000, rounds = 3, names = Object.keys(PAIRINGS)): Promise<Record<string, PairingResult>> {
  console.log(`syslog over TCP, ${count.toLocaleString('en-US')} RFC 5424 lines; ${describeMachine(machineInfo())}`);
  const data = makeLines(count);
  console.log(`${(data.length / 1e6).toFixed(0)} MB, ${(data.length / count).toFixed(0)} bytes per line; pairings ${names.join(', ')}`);
  const brook = new Map(names.map((name) => [name, [] as number[]]));
  const rsyslog = new Map(names.map((name) => [name, [] as number[]]));
  const brookCpu = new Map(names.map((name) => [name, [] as number[]]));
  const rsyslogCpu = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const pairing = PAIRINGS[name];
      if (pairing === undefined) throw new Error(`unknown pairing ${name} (known: ${Object.keys(PAIRINGS).join(', ')})`);
      // Alternate which goes first, so that neither always follows the other's writeback.
      const first = round % 2 === 0;
      const r0 = first ? null : await rsyslogRound(data, count, pairing);
      const b = await brookRound(data, count, pairing);
      const r = r0 ?? (await rsyslogRound(data, count, pairing));
      brook.get(name)!.push(count / b.seconds);
      rsyslog.get(name)!.push(count / r.seconds);
      brookCpu.get(name)!.push((b.cpuSeconds / count) * 1e6);
      rsyslogCpu.get(name)!.push((r.cpuSeconds / count) * 1e6);
      console.log(`round ${round + 1} ${name}: brook ${Math.round(count / b.seconds)} lines/s (${((b.cpuSeconds / count) * 1e6).toFixed(1)} CPU µs/line), ` +
        `rsyslog ${Math.round(count / r.seconds)} lines/s (${((r.cpuSeconds / count) * 1e6).toFixed(1)} CPU µs/line)`);
    }
  }
  const results: Record<string, PairingResult> = {};
  for (const name of names) {
    const b = brook.get(name)!;
    const r = rsyslog.get(name)!;
    results[name] = { brookLinesPerSec: median(b), rsyslogLinesPerSec: median(r), ratio: median(b) / median(r) };
    console.log(`${name}: brook ${spread(b)} lines/s, ${median(brookCpu.get(name)!).toFixed(1)} CPU µs/line; ` +
      `rsyslog imtcp → omfile ${spread(r)} lines/s, ${median(rsyslogCpu.get(name)!).toFixed(1)} CPU µs/line; ` +
      `ratio ${results[name].ratio.toFixed(2)} (goal ≥ 1)`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 3), process.argv[4]?.split(',') ?? undefined);
}
