/** Runs the real `brook` CLI (bin/brook over dist/, built by `npx tsc -p tsconfig.json`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BROOK = join(REPO, 'bin/brook');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = tempDir('brook-cli-');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Env without CI/TTY surprises: the CLI decides live output from these. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { BROOK_DATA_DIR: _ignored, ...rest } = process.env;
  return { ...rest, ...extra };
}

export function finished(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** `node bin/brook <args>` with optional stdin text. */
export function brook(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [BROOK, ...args], { cwd: REPO, env: env(options.env) });
  const result = finished(child);
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(options.input ?? '');
  return result;
}

/** A bash pipeline where `brook` stands for `node bin/brook`; PIPESTATUS is printed on fd 3 as JSON. */
export function pipeline(script: string): Promise<RunResult> {
  const prelude = `brook() { "${process.execPath}" "${BROOK}" "$@"; }\n`;
  const child = spawn('bash', ['-c', prelude + script], { cwd: REPO, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  return finished(child);
}

/** Starts a long-running brook process; resolves once its stdout has printed something. */
export function start(args: string[]): { child: ChildProcess; result: Promise<RunResult>; firstOutput: Promise<void> } {
  const child = spawn(process.execPath, [BROOK, ...args], { cwd: REPO, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  const firstOutput = new Promise<void>((resolvePromise) => child.stdout!.once('data', () => resolvePromise()));
  return { child, result: finished(child), firstOutput };
}
