/**
 * A worker thread started before the code that will use it has even loaded.
 *
 * A short CLI command (`seq 1 1000000 | brook produce logs`) pays for loading its modules twice in
 * a row: the main thread's (~200 ms on this machine: Node 20 caches no compiled code), then the
 * partition worker's own (~150 ms), which starts only once the engine asks for it, while the
 * main thread waits idle. Started here first, the worker loads its modules on the other core while
 * the main thread loads its own; SupervisedWorker then adopts it for its first start and sends the
 * real workerData as the worker's first message (the worker script waits for it when its
 * workerData is PRESTARTED).
 *
 * A worker nobody adopts (the command went through a running `brook serve`, or failed) is unref'd:
 * it never keeps the process alive, and process exit ends it.
 */
import { Worker } from 'node:worker_threads';
import { workerExecArgv } from './worker-exec-argv.js';

/** The workerData of a prestarted worker: its real workerData comes as its first message. */
export const PRESTARTED = { prestarted: true } as const;

export function isPrestarted(workerData: unknown): boolean {
  return typeof workerData === 'object' && workerData !== null && (workerData as { prestarted?: unknown }).prestarted === true;
}

/** Prestarted workers not adopted yet, by script path; one that exited leaves the map at once. */
const waiting = new Map<string, Worker>();

export function prestartWorker(scriptPath: string): void {
  if (waiting.has(scriptPath)) return;
  const worker = new Worker(scriptPath, { workerData: PRESTARTED, execArgv: workerExecArgv() });
  worker.unref();
  // An adopter attaches its own handlers; until then a failure only means there is nothing to adopt.
  worker.on('error', () => undefined);
  worker.once('exit', () => {
    if (waiting.get(scriptPath) === worker) waiting.delete(scriptPath);
  });
  waiting.set(scriptPath, worker);
}

/**
 * The prestarted worker for `scriptPath`, once, with its real workerData posted; null when there
 * is none. Still in the map means its 'exit' was not emitted yet, so an adopter that attaches its
 * handlers in the same tick sees the exit if it comes.
 */
export function adoptPrestartedWorker(scriptPath: string, workerData: unknown): Worker | null {
  const worker = waiting.get(scriptPath);
  if (worker === undefined) return null;
  waiting.delete(scriptPath);
  worker.ref();
  worker.postMessage(workerData);
  return worker;
}
