/**
 * Operating-system errors as the one line the CLI prints: what went wrong in words and the path
 * it happened on, e.g. "no space left on device (/data/brook/t-0)", instead of Node's
 * "ENOSPC: no space left on device, write" with a stack. The errno error may be the thrown one
 * or any `cause` behind it (a StorageError wraps the fs error).
 */
import { BrookError } from '../common/errors.js';
import { KafkaError } from '../embedded/kafka-error.js';
import { isDiskFullMessage } from '../storage/disk-space.js';

const EXPLANATIONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'exists and is not a directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files in this process (raise `ulimit -n`)',
  ENFILE: 'too many open files on this system',
  EIO: 'input/output error (a failing disk?)',
  ENAMETOOLONG: 'file name too long',
};

export interface ErrnoLike {
  code: string;
  errno?: number;
  path?: string;
  dest?: string;
  syscall?: string;
  message: string;
}

/** The errno error behind `err` (itself or a cause), or null. */
export function errnoError(err: unknown): ErrnoLike | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && typeof (e as { errno?: unknown }).errno === 'number') return e as unknown as ErrnoLike;
    // A worker thread that could not start says why only in its message ("...failure: EMFILE").
    const workerCause = code === 'ERR_WORKER_INIT_FAILED' ? /\b(E[A-Z]+)\b/.exec(e.message)?.[1] : undefined;
    if (workerCause !== undefined) return { code: workerCause, message: `cannot start a worker thread: ${workerCause}` };
  }
  return errnoInMessage(err);
}

/**
 * An errno error that crossed a thread as text (a partition worker's "cannot open log /x/t-0:
 * EMFILE: too many open files, open '/x/t-0/...'") is found by Node's own "CODE: words, call
 * 'path'" shape; only codes with an explanation count.
 */
function errnoInMessage(err: unknown): ErrnoLike | null {
  const message = err instanceof Error ? err.message : '';
  const match = /\b(E[A-Z]+): [^,]*(?:, \w+ '([^']+)')?/.exec(message);
  if (match === null || !Object.hasOwn(EXPLANATIONS, match[1]!)) return null;
  return { code: match[1]!, message: match[0], ...(match[2] === undefined ? {} : { path: match[2] }) };
}

/** Whether the CLI should print `err` as one line (an expected failure) rather than as a bug. */
export function isOperatingError(err: unknown): boolean {
  return errnoError(err) !== null;
}

/**
 * One line for any error: an errno error (or one caused by it) in words with its path; anything
 * else its message with line breaks folded.
 */
export function describeError(err: unknown): string {
  // The broker's "no space left on device (<dir>)" says it all; the Kafka code adds nothing.
  if (err instanceof KafkaError && isDiskFullMessage(err.detail)) return err.detail!;
  const errno = errnoError(err);
  if (errno === null) return oneLine(err instanceof Error ? err.message : String(err));
  // A Brook error that already says it in its own words ("cannot reach broker h:p (connect
  // ECONNREFUSED h:p)") is kept whole; only "doing: CODE: words" messages are reworded below.
  if (err !== errno && err instanceof BrookError && !err.message.includes(': ')) return oneLine(err.message);
  const words = EXPLANATIONS[errno.code] ?? errno.message.replace(/^[A-Z]+: /, '').replace(/, .*$/, '');
  const where = errno.path ?? errno.dest ?? pathIn(err);
  // The wrapping error's own words say what was being done ("cannot open log /x/__metadata").
  const doing = err !== errno && err instanceof BrookError ? err.message.split(': ')[0] : null;
  const subject = where !== null ? ` (${where})` : '';
  return doing !== null && doing !== (err as Error).message ? `${doing}: ${words}${subject}` : `${words}${subject}`;
}

/** A path mentioned in the wrapping messages ("append to /x/t-0 failed: ..."), for fd-based calls. */
function pathIn(err: unknown): string | null {
  const message = err instanceof Error ? err.message : '';
  const match = /(\/[^\s:'"]+)/.exec(message);
  return match === null ? null : match[1]!;
}

export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, '; ');
}
