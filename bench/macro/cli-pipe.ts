/**
 * The CLI as a shell user pipes it: `seq | brook produce` and `brook consume | wc -l`, each a real
 * process (Node start-up, data-dir open and close included) against a fresh temp data dir, beside
 * `seq | cat > file` and `cat file | wc -l` timed in the same run. Lines are `lineBytes` long
 * (newline included; default 100). Prints records/s, MB/s and brook/baseline ratios, medians of
 * `rounds` (default 3). The produce command's own summary (records/s from first read to last
 * acknowledgement, without start-up) is quoted too.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/cli-pipe.js [records] [lineBytes]`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine, machineInfo, median, type MachineInfo } from '../../src/bench-lib/stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BROOK = path.join(REPO, 'bin/brook');

export interface PipeFigure {
  seconds: number;
  recordsPerSec: number;
  megabytesPerSec: number;
}

export interface CliPipeResult {
  recordCount: number;
  lineBytes: number;
  produce: PipeFigure;
  produceBaseline: PipeFigure;
  /** What `brook produce` itself reported (no process start-up), records/s. */
  produceInProcessRecordsPerSec: number;
  consume: PipeFigure;
  consumeBaseline: PipeFigure;
  produceRatio: number;
  consumeRatio: number;
  machine: MachineInfo;
}

interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
}

function sh(script: string): Promise<Timed> {
  const started = process.hrtime.bigint();
  const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`'${script}' exited ${code}: ${stderr}`));
      else resolve({ seconds, stdout, stderr });
    });
  });
}

function figure(seconds: number, recordCount: number, lineBytes: number): PipeFigure {
  return { seconds, recordsPerSec: recordCount / seconds, megabytesPerSec: (recordCount * lineBytes) / 1e6 / seconds };
}

function medianFigure(figures: PipeFigure[], recordCount: number, lineBytes: number): PipeFigure {
  return figure(median(figures.map((f) => f.seconds)), recordCount, lineBytes);
}

export async function run(options: { recordCount?: number; lineBytes?: number; rounds?: number } = {}): Promise<CliPipeResult> {
  const recordCount = options.recordCount ?? 1_000_000;
  const lineBytes = options.lineBytes ?? 100;
  const rounds = options.rounds ?? 3;
  // Zero-padded integers: every line is exactly lineBytes long, newline included.
  const seq = `seq -f '%0${lineBytes - 1}.0f' 1 ${recordCount}`;
  const node = process.execPath;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-cli-pipe-'));
  const file = path.join(work, 'lines.txt');
  const figures = { produce: [] as PipeFigure[], produceBaseline: [] as PipeFigure[], consume: [] as PipeFigure[], consumeBaseline: [] as PipeFigure[] };
  const inProcess: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const dataDir = path.join(work, `data-${round}`);
      const brook = `"${node}" "${BROOK}" --data-dir "${dataDir}"`;
      figures.produceBaseline.push(figure((await sh(`${seq} | cat > "${file}"`)).seconds, recordCount, lineBytes));
      const produced = await sh(`${seq} | ${brook} produce lines`);
      figures.produce.push(figure(produced.seconds, recordCount, lineBytes));
      const reported = /\((\d+) records\/s/.exec(produced.stderr);
      if (reported !== null) inProcess.push(Number(reported[1]));
      const baseline = await sh(`cat "${file}" | wc -l`);
      figures.consumeBaseline.push(figure(baseline.seconds, recordCount, lineBytes));
      const consumed = await sh(`${brook} consume lines --from-beginning | wc -l`);
      const count = Number(consumed.stdout.trim());
      if (count !== recordCount) throw new Error(`consume printed ${count} lines, expected ${recordCount}`);
      figures.consume.push(figure(consumed.seconds, recordCount, lineBytes));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const produce = medianFigure(figures.produce, recordCount, lineBytes);
  const produceBaseline = medianFigure(figures.produceBaseline, recordCount, lineBytes);
  const consume = medianFigure(figures.consume, recordCount, lineBytes);
  const consumeBaseline = medianFigure(figures.consumeBaseline, recordCount, lineBytes);
  return {
    recordCount, lineBytes, produce, produceBaseline, consume, consumeBaseline,
    produceInProcessRecordsPerSec: median(inProcess),
    produceRatio: produce.recordsPerSec / produceBaseline.recordsPerSec,
    consumeRatio: consume.recordsPerSec / consumeBaseline.recordsPerSec,
    machine: machineInfo(),
  };
}

function describe(name: string, f: PipeFigure): string {
  return `${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s ${Math.round(f.recordsPerSec).toString().padStart(10)} records/s ${f.megabytesPerSec.toFixed(1).padStart(7)} MB/s`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const recordCount = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const lineBytes = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const result = await run({ recordCount, lineBytes });
  console.log(`machine: ${describeMachine(result.machine)}`);
  console.log(`${result.recordCount} lines of ${result.lineBytes} bytes, median of 3 rounds, whole processes`);
  console.log(describe('seq | cat > file (baseline)', result.produceBaseline));
  console.log(describe('seq | brook produce', result.produce));
  console.log(`${''.padEnd(34)} produce/baseline ${result.produceRatio.toFixed(3)}; in-process ${result.produceInProcessRecordsPerSec} records/s`);
  console.log(describe('cat file | wc -l (baseline)', result.consumeBaseline));
  console.log(describe('brook consume | wc -l', result.consume));
  console.log(`${''.padEnd(34)} consume/baseline ${result.consumeRatio.toFixed(3)}`);
}
