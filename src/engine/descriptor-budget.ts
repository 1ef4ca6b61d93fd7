/**
 * How many file descriptors each thread may keep open for segment files, from the process's
 * RLIMIT_NOFILE. Ten thousand partitions would need thirty thousand descriptors if every segment
 * stayed open (a .log and two indexes each), past this machine's limit of 20,000; each thread keeps
 * an LRU of open files under its share instead.
 *
 *   limit ── reserve (sockets, the metadata log, pipes: a quarter, at least 256)
 *         └─ the rest: a third for the main thread's readers (fetch), the others split among the
 *            partition workers
 */
import fs from 'node:fs';

/** Used where the limit cannot be read (not Linux): Node's usual default soft limit. */
const NOFILE_FALLBACK = 1024;
const RESERVE_MIN = 256;

/** The soft RLIMIT_NOFILE of this process (Linux: /proc/self/limits), else NOFILE_FALLBACK. */
export function openFileLimit(): number {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 1 << 20;
    const value = Number(soft);
    return Number.isSafeInteger(value) && value > 0 ? value : NOFILE_FALLBACK;
  } catch {
    return NOFILE_FALLBACK;
  }
}

export function descriptorBudgets(workerCount: number, limit = openFileLimit()): { mainThread: number; perWorker: number } {
  const reserve = Math.max(RESERVE_MIN, Math.floor(limit / 4));
  const usable = Math.max(0, limit - reserve);
  const mainThread = Math.max(16, Math.floor(usable / 3));
  const perWorker = Math.max(16, Math.floor((usable - mainThread) / Math.max(1, workerCount)));
  return { mainThread, perWorker };
}
