/**
 * Starts a real `brook serve` process from dist/ (run `npx tsc -p tsconfig.json` first) on a free
 * port with a temp data dir, for the client tests. Not a test file itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../dist/src/server/main.js');
const READY_TIMEOUT_MS = 20_000;

export interface RunningServe {
  address: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startBrookServe(extraArgs: string[] = []): Promise<RunningServe> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx tsc -p tsconfig.json first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-client-'));
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`brook serve not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (\S+:\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`brook serve exited with ${code}: ${stderr}`));
    });
  });
  return { address, dataDir, stop: () => stopChild(child, dataDir) };
}

async function stopChild(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}
