/**
 * A real `node dist/src/server/main.js` process for the group tests, started with a short
 * group.initial.rebalance.delay.ms (BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS) so rebalances in tests
 * take well under a second. Tests must run `npx tsc -p tsconfig.json` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN_PATH = path.resolve(import.meta.dirname, '../../dist/src/server/main.js');

export interface GroupServer {
  port: number;
  broker: string;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startGroupServer(dataDir: string, env: Record<string, string> = {}): Promise<GroupServer> {
  if (!fs.existsSync(MAIN_PATH)) throw new Error(`${MAIN_PATH} is missing: run npx tsc -p tsconfig.json first`);
  const child = spawn(process.execPath, [MAIN_PATH, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '300', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on [^\s:]+:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return {
    port,
    broker: `127.0.0.1:${port}`,
    dataDir,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
