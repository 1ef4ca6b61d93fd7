/**
 * The options and results of PartitionLog (partition-log.ts), and how its opens resolve defaults
 * and report I/O errors.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { StorageError } from '../common/errors.js';
import { defaultFdCache, type FdCache } from './fd-cache.js';
import { nodeIo, type FileIo } from './io.js';
import type { CleanerStep } from './log-cleaner.js';

/** Test hooks: called after each step of a roll or a cleaner swap; a throw there simulates a crash. */
export interface LogTestHooks {
  afterRollStep?: (step: 'sealed' | 'opened' | 'dir-synced') => void;
  afterCleanerStep?: (step: CleanerStep) => void;
}

export interface AppendResult {
  errorCode: number;
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  duplicate: boolean;
}

export interface PartitionLogOptions {
  io?: FileIo;
  clock?: Clock;
  hooks?: LogTestHooks;
  /** The thread's descriptor cache for the segment files (default: defaultFdCache()). */
  files?: FdCache;
  /** [0, 1) like Math.random (the default), for segment.jitter.ms; tests pass a fixed one. */
  random?: () => number;
}

/** What the last open found (for logs, stats and tests). */
export interface RecoveryInfo {
  /** The clean-shutdown marker was there: indexes trusted, only the active tail checked. */
  cleanShutdown: boolean;
  /** Segments scanned in full with CRC checks. */
  fullyScannedSegmentCount: number;
  /** Bytes cut from a torn or corrupt tail. */
  truncatedBytes: number;
}

/** The defaults: node's fs, the system clock, this thread's FdCache, Math.random. */
export function resolveOptions(options: PartitionLogOptions): Required<Omit<PartitionLogOptions, 'hooks'>> {
  return { io: options.io ?? nodeIo, clock: options.clock ?? systemClock, files: options.files ?? defaultFdCache(), random: options.random ?? Math.random };
}

/** Runs an open; an I/O error (errno) becomes a StorageError naming the log. */
export function wrapOpenError<T>(dir: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as { errno?: unknown }).errno === 'number') {
      throw new StorageError(`cannot open log ${dir}: ${err.message}`, err);
    }
    throw err;
  }
}
