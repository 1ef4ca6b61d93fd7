/**
 * How the engine shares the process's RLIMIT_NOFILE (storage/open-files.ts) between its threads.
 * Ten thousand partitions would need thirty thousand descriptors if every segment stayed open (a
 * .log and two indexes each), past this machine's limit of 20,000; each thread keeps an LRU of open
 * files (FdCache) under its share instead.
 *
 *   limit ── reserve (sockets, the metadata log, pipes, coordinators: a quarter, at least 256)
 *         └─ the rest: a third for the main thread's readers (fetch), the others split among the
 *            partition workers
 */
import { FILES_PER_THREAD_MIN, openFilesLimit, openFilesReserve } from '../storage/open-files.js';

export function descriptorBudgets(workerCount: number, limit = openFilesLimit()): { mainThread: number; perWorker: number } {
  const usable = Math.max(0, limit - openFilesReserve(limit));
  const mainThread = Math.max(FILES_PER_THREAD_MIN, Math.floor(usable / 3));
  const perWorker = Math.max(FILES_PER_THREAD_MIN, Math.floor((usable - mainThread) / Math.max(1, workerCount)));
  return { mainThread, perWorker };
}
