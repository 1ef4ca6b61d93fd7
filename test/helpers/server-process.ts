/**
 * Starts a real `node dist/src/server/main.js --port 0 --data-dir <dir>` process (the Kafka
 * server, compiled: `npm test` builds dist/ first) and reads its port from the ready line. The one
 * server starter every test area uses; the area helpers wrap it with their own defaults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-dir.js';

const MAIN_PATH = path.resolve(import.meta.dirname, '../../dist/src/server/main.js');
// Longer than the server's own drain of in-flight requests (5 s) plus closing the broker.
const STOP_GRACE_MS = 30_000;

export interface ServerProcess {
  /** The host and port from the server's ready line. */
  host: string;
  port: number;
  /** `<host>:<port>`, for clients. */
  address: string;
  pid: number;
  dataDir: string;
  child: ChildProcess;
  /** stderr so far (diagnostics the server logged). */
  stderr(): string;
  /** stdout so far (the ready lines). */
  stdout(): string;
  /** SIGTERM (SIGKILL after a grace period), then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

export const makeTempDir = tempDir;

export async function startServer(dataDir = makeTempDir('brook-server-'), extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  return start({ dataDir, args: extraArgs, env });
}

export async function start(options: StartOptions = {}): Promise<ServerProcess> {
  if (!fs.existsSync(MAIN_PATH)) throw new Error(`${MAIN_PATH} is missing: run npx tsc -p tsconfig.json first`);
  const dataDir = options.dataDir ?? makeTempDir('brook-server-');
  const child = spawn(process.execPath, [MAIN_PATH, '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const { host, port } = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const onData = (): void => {
      const match = /listening on (\S+):(\d+)/.exec(stdout);
      if (match) {
        child.stdout!.off('data', onData);
        resolve({ host: match[1]!, port: Number(match[2]) });
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return {
    host,
    port,
    address: `${host}:${port}`,
    pid: child.pid!,
    dataDir,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        void exited.then(() => clearTimeout(timer));
      }
      return exited;
    },
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
