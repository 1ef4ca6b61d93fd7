/**
 * Syslog over TCP: `count` RFC 5424 lines (LF framing, ~110 bytes each) sent by one local sender
 * (this process, writing a prepared buffer as fast as the socket takes it) into
 *   brook:    `brook serve --syslog tcp://...` — timed until every line is a record in the log
 *             (the topic's high watermark, read over the Kafka protocol);
 *   baseline: Debian's rsyslogd, imtcp → omfile (template "%msg%\n") — timed until the file
 *             holds every line.
 * Both parse the RFC 5424 header; Brook also builds a JSON record per line. Rounds alternate
 * brook and rsyslog; medians; the ratio is brook / rsyslog in lines/s.
 * rsyslogd is found on PATH or under /opt/brook-shippers (scripts/install-shippers.sh).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/syslog-tcp.js [count] [rounds]`.
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

async function brookRound(data: Buffer, count: number): Promise<Round> {
  const serve = await startBrookServe(['--syslog', 'tcp://127.0.0.1:0']);
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

async function rsyslogRound(data: Buffer, count: number): Promise<Round> {
  const { rsyslogd, modules } = rsyslogPaths();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-rsyslog-'));
  const port = await freePort();
  const out = path.join(dir, 'out.log');
  fs.writeFileSync(path.join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}")`,
    'module(load="imtcp")',
    'template(name="msgonly" type="string" string="%msg%\\n")',
    `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="bench")`,
    `ruleset(name="bench") { action(type="omfile" file="${out}" template="msgonly") }`,
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

export async function run(count = 1_000_000, rounds = 3): Promise<{ brookLinesPerSec: number; rsyslogLinesPerSec: number; ratio: number }> {
  console.log(`syslog over TCP, ${count.toLocaleString('en-US')} RFC 5424 lines; ${describeMachine(machineInfo())}`);
  const data = makeLines(count);
  console.log(`${(data.length / 1e6).toFixed(0)} MB, ${(data.length / count).toFixed(0)} bytes per line`);
  const brook: number[] = [];
  const rsyslog: number[] = [];
  const brookCpu: number[] = [];
  const rsyslogCpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const b = await brookRound(data, count);
    const r = await rsyslogRound(data, count);
    brook.push(count / b.seconds);
    rsyslog.push(count / r.seconds);
    brookCpu.push((b.cpuSeconds / count) * 1e6);
    rsyslogCpu.push((r.cpuSeconds / count) * 1e6);
    console.log(`round ${round + 1}: brook ${Math.round(brook.at(-1)!)} lines/s (${brookCpu.at(-1)!.toFixed(1)} CPU µs/line), rsyslog imtcp→omfile ${Math.round(rsyslog.at(-1)!)} lines/s (${rsyslogCpu.at(-1)!.toFixed(1)} CPU µs/line)`);
  }
  const result = { brookLinesPerSec: median(brook), rsyslogLinesPerSec: median(rsyslog), ratio: median(brook) / median(rsyslog) };
  console.log(`brook --syslog tcp (lines in the log): ${spread(brook)} lines/s, ${median(brookCpu).toFixed(1)} CPU µs per line`);
  console.log(`rsyslogd imtcp → omfile:              ${spread(rsyslog)} lines/s, ${median(rsyslogCpu).toFixed(1)} CPU µs per line`);
  console.log(`ratio brook / rsyslog: ${result.ratio.toFixed(2)} in lines/s (goal ≥ 1); CPU per line ${(median(brookCpu) / median(rsyslogCpu)).toFixed(1)}×`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 3));
}
