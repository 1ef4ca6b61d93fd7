/**
 * Child processes for the wire benchmark: find a tool on PATH, start a server and wait for its
 * ready line, run a client to its exit while timing it and counting its output lines, and stop
 * what was started (SIGTERM, then SIGKILL after a grace period). Every process a benchmark starts
 * goes through `stop` in a finally block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { elapsedSec } from './stats.js';

/** The absolute path of an executable on PATH, or null. */
export function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A port free on 127.0.0.1 right now (the OS picks it; a tiny race with other users remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  /** The first stdout line that matched `ready`. */
  readyLine: string;
}

/** Starts `command args` and resolves once a stdout line matches `ready`; rejects if it exits first or times out. */
export function startServer(command: string, args: string[], ready: RegExp, timeoutMs = 20_000): Promise<Started> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop(child);
      reject(new Error(`${path.basename(command)} did not start: ${why}\n${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => ready.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, readyLine: line });
      }
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
  });
}

/** SIGTERM, then SIGKILL if it is still running after `graceMs`. Resolves once it has exited. */
export function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Completed {
  seconds: number;
  stdoutLineCount: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its exit, stdin from `stdinFile` (or nothing), timing it from spawn to exit.
 * Counts stdout newlines as they stream (keeps only the first 64 KiB of text). Rejects on a
 * non-zero exit, and kills the process if it outlives `timeoutMs`.
 */
export function runToExit(command: string, args: string[], options: { stdinFile?: string; timeoutMs?: number } = {}): Promise<Completed> {
  const stdinFd = options.stdinFile !== undefined ? fs.openSync(options.stdinFile, 'r') : 'ignore';
  const start = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: [stdinFd, 'pipe', 'pipe'] });
  if (typeof stdinFd === 'number') fs.closeSync(stdinFd);
  return new Promise((resolve, reject) => {
    let stdoutLineCount = 0;
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) stdoutLineCount++;
      if (stdout.length < 65536) stdout += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => { if (stderr.length < 65536) stderr += chunk.toString(); });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = elapsedSec(start);
      if (code !== 0) reject(new Error(`${path.basename(command)} ${args.join(' ').slice(0, 200)} exited ${code ?? signal}: ${stderr.slice(-1000)}`));
      else resolve({ seconds, stdoutLineCount, stdout, stderr });
    });
  });
}
