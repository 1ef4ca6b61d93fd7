/**
 * How a followed file is recognised across renames, restarts and reused inode numbers, as Vector
 * and Filebeat do: the device and inode (stable across a rename) plus a fingerprint of the first
 * bytes (which tells a new file that got an old inode number apart, and a truncated-and-rewritten
 * file from the one that was read).
 *
 * - head: hash of the first min(size, HEAD_BYTES) bytes; while a file is shorter than HEAD_BYTES
 *   its head grows with it (the old prefix must still match, else the file was replaced).
 * - tail mark: hash of the TAIL_MARK_BYTES just before a position that was read. A new file whose
 *   full head equals a followed file's and whose bytes before that position hash the same is a
 *   copy of it (logrotate's copytruncate): it is read from there, not from the start.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const HEAD_BYTES = 1024;
export const TAIL_MARK_BYTES = 256;

export interface Head {
  bytes: number;
  hash: string;
}

export interface TailMark {
  /** The file position the mark ends at (a line boundary). */
  position: number;
  bytes: number;
  hash: string;
}

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The head of a file `size` bytes long. */
export async function readHead(handle: FileHandle, size: number): Promise<Head> {
  const bytes = await readAt(handle, 0, Math.min(size, HEAD_BYTES));
  return { bytes: bytes.length, hash: hashBytes(bytes) };
}

/** Whether the file's first `head.bytes` bytes still hash to `head.hash`. */
export async function headMatches(handle: FileHandle, head: Head): Promise<boolean> {
  const bytes = await readAt(handle, 0, head.bytes);
  return bytes.length === head.bytes && hashBytes(bytes) === head.hash;
}

/** The mark of `chunk` (read at `chunkPosition`) ending at `position`, or null if too few bytes precede it. */
export function tailMarkOf(chunk: Buffer, chunkPosition: number, position: number): TailMark | null {
  const end = position - chunkPosition;
  if (end < TAIL_MARK_BYTES || end > chunk.length) return null;
  return { position, bytes: TAIL_MARK_BYTES, hash: hashBytes(chunk.subarray(end - TAIL_MARK_BYTES, end)) };
}

/** Whether `handle`'s file holds the marked bytes at the marked place. */
export async function tailMarkMatches(handle: FileHandle, mark: TailMark): Promise<boolean> {
  const bytes = await readAt(handle, mark.position - mark.bytes, mark.bytes);
  return bytes.length === mark.bytes && hashBytes(bytes) === mark.hash;
}
