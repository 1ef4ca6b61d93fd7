/**
 * One process owns a data dir (DESIGN.md): <dataDir>/.lock holds the owner's pid on its first
 * line. The file is created with O_EXCL, so two starting processes cannot both win; a lock whose
 * pid no longer runs is stale (a crash) and is taken over. A `brook serve` adds the address of
 * its Kafka listener (`kafka=host:port`), so other commands can work through it (lock-holder.ts).
 *
 *   .lock:   12345\n                 the owner's pid
 *            kafka=127.0.0.1:9092\n  (brook serve only) where it serves the Kafka protocol
 *
 * Space reserve: <dataDir>/.space-reserve holds SPACE_RESERVE_BYTES of zeros, written whenever
 * the dir is opened with room to spare. When the disk is full, taking the lock, opening the
 * metadata log or appending a metadata event (`topics delete`, `topics alter`) releases it and
 * tries again, so the commands that free space still work on a full disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataDirLockedError } from '../common/errors.js';

const LOCK_FILE = '.lock';
const SPACE_RESERVE_FILE = '.space-reserve';
/** Enough for the lock, a metadata log open and dozens of metadata events on a full disk. */
export const SPACE_RESERVE_BYTES = 256 * 1024;

export interface LockHolder {
  pid: number;
  /** host:port of the holder's Kafka listener (a `brook serve`), or null (another CLI command). */
  kafkaAddress: string | null;
  /** Whether that listener wants TLS or SASL. */
  secured: boolean;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes the lock for this process; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLockFile(dataDir, lockPath)) {
      keepSpaceReserve(dataDir);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readLockHolder(dataDir)?.pid === process.pid) fs.rmSync(lockPath, { force: true });
      };
    }
    const holder = readLockHolder(dataDir);
    if (holder !== null && holder.pid !== process.pid && isRunning(holder.pid)) {
      throw new DataDirLockedError(`data dir ${dataDir} is in use by process ${holder.pid} (lock file ${lockPath})`, holder);
    }
    if (holder?.pid === process.pid) throw new DataDirLockedError(`data dir ${dataDir} is already locked by this process (${holder.pid})`, holder);
    fs.rmSync(lockPath, { force: true }); // stale: its owner is gone
  }
  throw new DataDirLockedError(`could not take the lock ${lockPath}: it keeps reappearing`, null);
}

/** True once the lock file is ours; false if it exists already. On a full disk the reserve goes first. */
function createLockFile(dataDir: string, lockPath: string): boolean {
  try {
    writeExclusive(lockPath, `${process.pid}\n`);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EEXIST') return false;
    if (code !== 'ENOSPC' || !releaseSpaceReserve(dataDir)) throw err;
  }
  writeExclusive(lockPath, `${process.pid}\n`); // EEXIST now means a racing process won
  return true;
}

function writeExclusive(filePath: string, text: string): void {
  const fd = fs.openSync(filePath, 'wx');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(filePath, { force: true }); // not a lock: a half-written file would look stale
    throw err;
  }
  fs.closeSync(fd);
}

/**
 * Records where this process serves the Kafka protocol (`secured`: with TLS or SASL), for other
 * commands on the same data dir. Only the lock's owner calls it; the rename keeps the file whole
 * for readers. Best effort: on a full or read-only disk the lock keeps just the pid.
 */
export function recordKafkaAddress(dataDir: string, address: string, secured: boolean): void {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const tmpPath = `${lockPath}.tmp`;
  try {
    fs.writeFileSync(tmpPath, `${process.pid}\n${secured ? 'kafka-secured' : 'kafka'}=${address}\n`);
    fs.renameSync(tmpPath, lockPath);
  } catch {
    fs.rmSync(tmpPath, { force: true });
  }
}

/** Who holds the data dir's lock, or null when nobody (or the file is unreadable). */
export function readLockHolder(dataDir: string): LockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const [first = '', ...rest] = text.split('\n');
  const pid = Number.parseInt(first.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const entry = rest.map((line) => /^(kafka|kafka-secured)=(\S+)$/.exec(line.trim())).find((m) => m !== null);
  return { pid, kafkaAddress: entry?.[2] ?? null, secured: entry?.[1] === 'kafka-secured' };
}

/** Writes the space reserve if it is missing; on a disk without room for it, does nothing. */
export function keepSpaceReserve(dataDir: string): void {
  const reservePath = path.join(dataDir, SPACE_RESERVE_FILE);
  if (fs.existsSync(reservePath)) return;
  const tmpPath = `${reservePath}.tmp`;
  try {
    // Zeros actually written: a sparse file (ftruncate) would reserve nothing.
    fs.writeFileSync(tmpPath, Buffer.alloc(SPACE_RESERVE_BYTES));
    fs.renameSync(tmpPath, reservePath);
  } catch {
    fs.rmSync(tmpPath, { force: true }); // no room (or a read-only dir): the reserve waits for a later open
  }
}

/** Frees the space reserve; true if there was one to free. */
export function releaseSpaceReserve(dataDir: string): boolean {
  const reservePath = path.join(dataDir, SPACE_RESERVE_FILE);
  if (!fs.existsSync(reservePath)) return false;
  fs.rmSync(reservePath, { force: true });
  return true;
}

/** Whether `err` (or its cause) is a full disk. */
export function isNoSpace(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'ENOSPC') return true;
  }
  return false;
}
