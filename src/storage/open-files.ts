/**
 * The process's open-files limit (RLIMIT_NOFILE) and how to share it between threads. Every
 * thread that opens segment files gets an FdCache with a cap of its own; the caps together, plus
 * a reserve for what is not a segment file (client sockets, pipes, the loader's and cleaner's
 * short-lived files, the pinned descriptors of reads in flight), must stay under the limit, or an
 * open() fails with EMFILE under load.
 *
 * Budget: filesPerThread(threads) = (limit - reserve) / threads, reserve = max(256, limit / 4).
 * E.g. the engine's main thread (LogReaders) and two partition workers on a limit of 20,000:
 * (20,000 - 5,000) / 3 = 5,000 descriptors each.
 */
import fs from 'node:fs';

/** Used when the limit cannot be read (not Linux): the usual soft default on Linux. */
export const OPEN_FILES_LIMIT_FALLBACK = 1024;
/** No thread's cache gets fewer than this, whatever the limit: a roll alone touches 6 files. */
export const FILES_PER_THREAD_MIN = 16;

/**
 * The soft RLIMIT_NOFILE of this process from Linux's /proc/self/limits ("Max open files"), or
 * OPEN_FILES_LIMIT_FALLBACK where there is none. "unlimited" counts as 2^20 (Linux's nr_open).
 */
export function openFilesLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return OPEN_FILES_LIMIT_FALLBACK;
    }
  }
  const match = /^Max open files\s+(\S+)/m.exec(text);
  if (match === null) return OPEN_FILES_LIMIT_FALLBACK;
  if (match[1] === 'unlimited') return 2 ** 20;
  const soft = Number(match[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : OPEN_FILES_LIMIT_FALLBACK;
}

/** The reserve kept off the top of `limit` for sockets and short-lived files. */
export function openFilesReserve(limit: number): number {
  return Math.max(256, Math.floor(limit / 4));
}

/** One thread's share of the open-files budget when `threads` threads open segment files. */
export function filesPerThread(threads: number, options: { limit?: number; reserve?: number } = {}): number {
  const limit = options.limit ?? openFilesLimit();
  const reserve = options.reserve ?? openFilesReserve(limit);
  return Math.max(FILES_PER_THREAD_MIN, Math.floor((limit - reserve) / Math.max(1, threads)));
}
