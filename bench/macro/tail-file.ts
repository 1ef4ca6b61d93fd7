/**
 * `brook tail` of a file written at full speed, against `tail -F FILE | brook produce`: both run
 * through a `brook serve` (`--broker`, the same network hop for both), both are started before
 * the writer, and each round is timed from the writer's start (`seq` writing `count` lines of 100
 * bytes into a new file, as fast as it can) until every line is a record in the log (the topic's
 * high watermark). Rounds alternate; medians; the ratio is brook tail / the pipe in lines/s.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/tail-file.js [count] [rounds]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BROOK, spread, startBrookServe, waitForRecordCount } from '../../src/bench-lib/log-inputs.js';
import { stop } from '../../src/bench-lib/processes.js';
import { describeMachine, machineInfo, median } from '../../src/bench-lib/stats.js';

const LINE_BYTES = 100;

function spawnShell(script: string): ChildProcess {
  return spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Starts the reader, gives it time to be ready, runs the writer, waits for every line. */
async function round(kafka: string, topic: string, count: number, reader: (file: string, dir: string) => ChildProcess, readyWhen: (child: ChildProcess) => Promise<void>): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-tail-'));
  const file = path.join(dir, 'app.log');
  const child = reader(file, dir);
  try {
    await readyWhen(child);
    const started = process.hrtime.bigint();
    const writer = spawnShell(`seq -f '%0${LINE_BYTES - 1}.0f' 1 ${count} > '${file}'`);
    const done = await waitForRecordCount(kafka, topic, count);
    await new Promise((resolve) => (writer.exitCode !== null ? resolve(null) : writer.once('exit', resolve)));
    return Number(done - started) / 1e9;
  } finally {
    // The pipe's reader is a process group (bash, tail, node): end all of it.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function stderrMatches(pattern: RegExp): (child: ChildProcess) => Promise<void> {
  return (child) => new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    });
    child.once('exit', () => reject(new Error(`reader exited: ${text}`)));
  });
}

export async function run(count = 2_000_000, rounds = 3): Promise<void> {
  console.log(`tail of a file written at full speed, ${count.toLocaleString('en-US')} lines of ${LINE_BYTES} bytes; ${describeMachine(machineInfo())}`);
  const serve = await startBrookServe([]);
  const tail: number[] = [];
  const pipe: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      tail.push(count / (await round(serve.kafka, `tail-${r}`, count,
        (file, dir) => spawn(process.execPath, [BROOK, '--broker', serve.kafka, 'tail', file, '--topic', `tail-${r}`, '--checkpoint-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
        stderrMatches(/following/))));
      pipe.push(count / (await round(serve.kafka, `pipe-${r}`, count,
        (file) => spawn('bash', ['-c', `tail -F -n +1 '${file}' 2>/dev/null | '${process.execPath}' '${BROOK}' --broker ${serve.kafka} produce pipe-${r} & echo started >&2; wait`], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
        // The pipe has no ready line: give Node a second to start and connect.
        async (child) => {
          await stderrMatches(/started/)(child);
          await new Promise((resolve) => setTimeout(resolve, 1500));
        })));
      console.log(`round ${r + 1}: brook tail ${Math.round(tail.at(-1)!)} lines/s, tail -F | brook produce ${Math.round(pipe.at(-1)!)} lines/s`);
    }
  } finally {
    await serve.stop();
  }
  console.log(`brook tail:                 ${spread(tail)} lines/s`);
  console.log(`tail -F | brook produce:    ${spread(pipe)} lines/s`);
  console.log(`ratio: ${(median(tail) / median(pipe)).toFixed(2)} (goal ≥ 1)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(Number(process.argv[2] ?? 2_000_000), Number(process.argv[3] ?? 3));
}
