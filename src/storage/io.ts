/**
 * All file I/O of the storage layer goes through a FileIo, so tests can inject faults (EIO,
 * ENOSPC, torn writes, lost unsynced writes) without mocks of `node:fs`. Everything is synchronous:
 * a partition worker owns its log and may block (STYLE.md, "Threads").
 */
import fs from 'node:fs';

export interface FileIo {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  /**
   * The same read in libuv's threadpool, leaving the calling thread free. Optional: readers fall
   * back to readSync without it (the fault-injecting io has none).
   */
  readAsync?(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fstatSizeSync(fd: number): number;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
  /** Recursive. */
  mkdirSync(path: string): void;
  /** Recursive and forced: a missing path is not an error. */
  rmSync(path: string): void;
  existsSync(path: string): boolean;
  /** Makes a directory's entries (creates, renames, unlinks) durable. */
  fsyncDirSync(path: string): void;
  /** Identity of an open file (device and inode): tells a replaced file from the one opened. */
  fileIdSync(fd: number): string;
  /** Identity of the file now at `path`, or null if there is none. */
  pathIdSync(path: string): string | null;
  /**
   * Size of the file at `path`, or null if there is none: one stat instead of open, fstat and
   * close. Optional: fileSizeAt falls back to those without it.
   */
  statSizeSync?(path: string): number | null;
}

export const nodeIo: FileIo = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buf, offset, length, position) => fs.writeSync(fd, buf, offset, length, position),
  readSync: (fd, buf, offset, length, position) => fs.readSync(fd, buf, offset, length, position),
  readAsync: (fd, buf, offset, length, position) =>
    new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, (err, bytesRead) => (err === null ? resolve(bytesRead) : reject(err)))),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fstatSizeSync: (fd) => fs.fstatSync(fd).size,
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  rmSync: (path) => fs.rmSync(path, { recursive: true, force: true }),
  existsSync: (path) => fs.existsSync(path),
  fileIdSync: (fd) => {
    const st = fs.fstatSync(fd);
    return `${st.dev}:${st.ino}`;
  },
  pathIdSync: (path) => {
    const st = fs.statSync(path, { throwIfNoEntry: false });
    return st === undefined ? null : `${st.dev}:${st.ino}`;
  },
  statSizeSync: (path) => fs.statSync(path, { throwIfNoEntry: false })?.size ?? null,
  fsyncDirSync: (path) => {
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** Reads exactly `length` bytes unless the file ends first; returns the count read. */
export function readFully(io: FileIo, fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = io.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** readFully through io.readAsync (readSync when the io has none). */
export async function readFullyAsync(io: FileIo, fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  if (io.readAsync === undefined) return readFully(io, fd, buf, offset, length, position);
  let done = 0;
  while (done < length) {
    const n = await io.readAsync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all bytes, looping only on a short write; returns nothing, throws what the io throws. */
export function writeFully(io: FileIo, fd: number, buf: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = io.writeSync(fd, buf, offset + done, length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += n;
  }
}

/** Writes a small file atomically: temp file, fsync, rename, fsync of the directory. */
export function writeFileAtomic(io: FileIo, dir: string, name: string, bytes: Uint8Array): void {
  const tmp = `${dir}/${name}.tmp`;
  const fd = io.openSync(tmp, 'w');
  try {
    writeFully(io, fd, bytes, 0, bytes.length, 0);
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
  io.renameSync(tmp, `${dir}/${name}`);
  io.fsyncDirSync(dir);
}

/** Size of the file at `path` (io.statSizeSync, else open + fstat + close); throws ENOENT if none. */
export function fileSizeAt(io: FileIo, path: string): number {
  if (io.statSizeSync !== undefined) {
    const size = io.statSizeSync(path);
    if (size === null) throw Object.assign(new Error(`ENOENT: no such file, stat '${path}'`), { code: 'ENOENT', errno: -2 });
    return size;
  }
  const fd = io.openSync(path, 'r');
  try {
    return io.fstatSizeSync(fd);
  } finally {
    io.closeSync(fd);
  }
}

/**
 * Reads a whole small file, or null when it does not exist; `exists` (from a directory listing
 * the caller has) spares the existence check.
 */
export function readSmallFile(io: FileIo, path: string, exists: boolean = io.existsSync(path)): Buffer | null {
  if (!exists) return null;
  const fd = io.openSync(path, 'r');
  try {
    const size = io.fstatSizeSync(fd);
    const buf = Buffer.alloc(size);
    readFully(io, fd, buf, 0, size, 0);
    return buf;
  } finally {
    io.closeSync(fd);
  }
}

export { FaultyIo, type FaultyIoOptions } from './faulty-io.js';
