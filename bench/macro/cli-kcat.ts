/**
 * `brook produce` against kcat -P, whole processes, the same file of log lines (2M lines of about
 * 63 bytes by default) into Brook:
 *
 *   kcat      kcat -P -b <serve> -t <topic> -l file      into an already running `brook serve`
 *   embedded  brook produce <topic> < file               its own data dir, in this process
 *   broker    brook --broker <serve> produce <topic> < file   through that `brook serve`
 *
 * Rounds alternate kcat, embedded, kcat, broker after one warm-up of each, so every brook run is
 * paired with the kcat run just before it and the ratio is taken pair by pair (the machine's speed
 * drifts; pairs cancel most of it). Prints medians of wall seconds (and CPU seconds from
 * /usr/bin/time when it is there: kcat's own, not the server's) and of the per-pair ratios.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/cli-kcat.js [lines] [rounds]`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findOnPath, freePort, startServer, stop } from '../../src/bench-lib/processes.js';
import { describeMachine, machineInfo, median, type MachineInfo } from '../../src/bench-lib/stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BROOK = path.join(REPO, 'bin/brook');
const SERVICES = ['checkout', 'payments', 'search', 'auth', 'inventory'];

interface Timed {
  wallSeconds: number;
  /** User + system CPU seconds of the process (and its threads); NaN without /usr/bin/time. */
  cpuSeconds: number;
}

export interface CliKcatResult {
  lineCount: number;
  fileBytes: number;
  rounds: number;
  kcat: Timed;
  embedded: Timed;
  broker: Timed;
  /** Medians of brook/kcat wall-time ratios, pair by pair. */
  embeddedRatio: number;
  brokerRatio: number;
  machine: MachineInfo;
}

/** Log lines like an application's: "<time> <level> <service> request=<n> latency=<ms>ms". */
function writeLines(file: string, lineCount: number): void {
  const fd = fs.openSync(file, 'w');
  let text = '';
  for (let i = 0; i < lineCount; i++) {
    text += `2026-01-01T00:00:00Z INFO ${SERVICES[i % SERVICES.length]} request=${100000 + i} latency=${i % 400}ms\n`;
    if (text.length > 1 << 20) {
      fs.writeSync(fd, text);
      text = '';
    }
  }
  fs.writeSync(fd, text);
  fs.closeSync(fd);
}

/** Runs `command` (stdin from `stdinFile`), timed from spawn to exit; CPU from /usr/bin/time if present. */
function timed(command: string, args: string[], stdinFile: string | null): Promise<Timed> {
  const time = findOnPath('time') === null && !fs.existsSync('/usr/bin/time') ? null : '/usr/bin/time';
  const [file, argv] = time === null ? [command, args] : [time, ['-f', 'cpu=%U+%S', command, ...args]];
  const stdin = stdinFile === null ? 'ignore' : fs.openSync(stdinFile, 'r');
  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { stdio: [stdin, 'ignore', 'pipe'] });
  if (typeof stdin === 'number') fs.closeSync(stdin);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
      resolve({ wallSeconds, cpuSeconds: cpu === null ? NaN : Number(cpu[1]) + Number(cpu[2]) });
    });
  });
}

function medianTimed(runs: Timed[]): Timed {
  return { wallSeconds: median(runs.map((r) => r.wallSeconds)), cpuSeconds: median(runs.map((r) => r.cpuSeconds)) };
}

export async function run(options: { lineCount?: number; rounds?: number } = {}): Promise<CliKcatResult> {
  const lineCount = options.lineCount ?? 2_000_000;
  const rounds = options.rounds ?? 5;
  const kcatPath = findOnPath('kcat');
  if (kcatPath === null) throw new Error('kcat is not on PATH (Debian: apt-get install kcat)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-cli-kcat-'));
  const file = path.join(work, 'lines.txt');
  writeLines(file, lineCount);
  const fileBytes = fs.statSync(file).size;
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = await startServer(process.execPath, [BROOK, '--data-dir', path.join(work, 'served'), 'serve', '--port', String(port)], /^listening on /);
  const runs = { kcat: [] as Timed[], embedded: [] as Timed[], broker: [] as Timed[], embeddedRatio: [] as number[], brokerRatio: [] as number[] };
  try {
    const kcat = () => timed(kcatPath, ['-P', '-b', address, '-t', 'kcat-lines', '-l', file], null);
    const embedded = () => timed(process.execPath, [BROOK, '--data-dir', path.join(work, 'embedded'), 'produce', 'lines'], file);
    const broker = () => timed(process.execPath, [BROOK, '--broker', address, 'produce', 'broker-lines'], file);
    await kcat(); // warm-up: topics created, caches warm
    await embedded();
    await broker();
    for (let round = 0; round < rounds; round++) {
      const k1 = await kcat();
      const e = await embedded();
      const k2 = await kcat();
      const b = await broker();
      runs.kcat.push(k1, k2);
      runs.embedded.push(e);
      runs.broker.push(b);
      runs.embeddedRatio.push(e.wallSeconds / k1.wallSeconds);
      runs.brokerRatio.push(b.wallSeconds / k2.wallSeconds);
    }
  } finally {
    await stop(server.child);
    fs.rmSync(work, { recursive: true, force: true });
  }
  return {
    lineCount, fileBytes, rounds,
    kcat: medianTimed(runs.kcat), embedded: medianTimed(runs.embedded), broker: medianTimed(runs.broker),
    embeddedRatio: median(runs.embeddedRatio), brokerRatio: median(runs.brokerRatio), machine: machineInfo(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const lineCount = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const rounds = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const result = await run({ lineCount, rounds });
  const row = (name: string, t: Timed) => `${name.padEnd(44)} wall ${t.wallSeconds.toFixed(2).padStart(6)} s   cpu ${Number.isNaN(t.cpuSeconds) ? '   -' : t.cpuSeconds.toFixed(2)} s`;
  console.log(`machine: ${describeMachine(result.machine)}`);
  console.log(`${result.lineCount} lines (${(result.fileBytes / 1e6).toFixed(1)} MB) from a file, ${result.rounds} round${result.rounds === 1 ? '' : 's'} after a warm-up, medians, whole processes`);
  console.log(row('kcat -P -l file -> brook serve', result.kcat));
  console.log(row('brook produce < file (own data dir)', result.embedded));
  console.log(row('brook --broker <serve> produce < file', result.broker));
  console.log(`brook produce / kcat: ${result.embeddedRatio.toFixed(3)}   brook --broker produce / kcat: ${result.brokerRatio.toFixed(3)} (medians of per-pair ratios)`);
}
