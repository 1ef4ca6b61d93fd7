/**
 * Why an append failed, when the partition worker could only say KAFKA_STORAGE_ERROR: if the
 * file system holding the data dir has less room than the append needed (plus a margin for
 * indexes and checkpoints), it is a full disk, and the producer is told so in the produce
 * response's errorMessage ("no space left on device (<dir>)") instead of a bare code. A full disk
 * does not empty itself within a delivery timeout, so producers stop at once on it
 * (embedded/bulk-delivery.ts) rather than retrying for minutes.
 */
import fs from 'node:fs';

export const DISK_FULL_MESSAGE = 'no space left on device';

/** Room, on top of the append itself, that an append may need for its index entries and files. */
const MARGIN_BYTES = 1024 * 1024;

/** "no space left on device (dir)" when the disk under `dir` cannot take `appendBytes` more; else null. */
export function diskFullMessage(dir: string, appendBytes: number): string | null {
  let stats: fs.StatsFs;
  try {
    stats = fs.statfsSync(dir);
  } catch {
    return null;
  }
  // root may use the blocks reserved for it (bfree); anyone else only bavail.
  const freeBlocks = process.getuid?.() === 0 ? stats.bfree : stats.bavail;
  const full = freeBlocks * stats.bsize < appendBytes + MARGIN_BYTES || stats.ffree === 0;
  return full ? `${DISK_FULL_MESSAGE} (${dir})` : null;
}

/** Whether a produce error message says the disk is full. */
export function isDiskFullMessage(message: string | null | undefined): boolean {
  return message?.startsWith(DISK_FULL_MESSAGE) === true;
}
