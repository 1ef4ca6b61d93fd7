/**
 * Finishes or undoes a cleaner swap interrupted by a crash (Kafka's LogLoader does the same with
 * .cleaned and .swap files). Runs at open, before segments are listed. See log-cleaner.ts for the
 * steps. For a group with base offset B:
 *   B.log.cleaned present          step 2 not finished: delete B's .cleaned and .swap files (undo)
 *   B.log.swap present             the cleaned data is complete and fsynced: rename it over B.log
 *   B.*.swap present afterwards    steps 3..5 pending: delete the segments the cleaned B now
 *                                  covers (base offsets in (B, B's next offset)), then rename the
 *                                  index swaps to their final names
 * Leftover .deleted files are removed by the loader afterwards.
 */
import { LOG_SUFFIX, CLEANED_SUFFIX, SWAP_SUFFIX, segmentBaseOffsets, segmentPaths } from './file-names.js';
import type { FileIo } from './io.js';
import { scanBatches } from './batch-scan.js';

/** Whether a listing of a partition directory holds files of an interrupted cleaner swap. */
export function hasCleanerSwapFiles(names: readonly string[]): boolean {
  return names.some((n) => n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX));
}

/** Finishes or undoes interrupted swaps; `names` is a listing of `dir`. */
export function recoverCleanerSwaps(io: FileIo, dir: string, listing: readonly string[]): void {
  if (!hasCleanerSwapFiles(listing)) return;
  let names = listing;
  let changed = false;
  for (const name of names.filter((n) => n.endsWith(LOG_SUFFIX + CLEANED_SUFFIX))) {
    const stem = name.slice(0, -(LOG_SUFFIX + CLEANED_SUFFIX).length);
    for (const other of names) {
      if (other.startsWith(stem + '.') && (other.endsWith(CLEANED_SUFFIX) || other.endsWith(SWAP_SUFFIX))) io.unlinkSync(`${dir}/${other}`);
    }
    changed = true;
  }
  if (changed) names = io.readdirSync(dir);
  for (const name of names.filter((n) => n.endsWith(CLEANED_SUFFIX))) io.unlinkSync(`${dir}/${name}`);

  const swapBases = new Set(names.filter((n) => n.endsWith(SWAP_SUFFIX)).map((n) => Number(n.slice(0, 20))));
  for (const baseOffset of [...swapBases].sort((a, b) => a - b)) {
    const paths = segmentPaths(dir, baseOffset);
    if (io.existsSync(paths.log + SWAP_SUFFIX)) io.renameSync(paths.log + SWAP_SUFFIX, paths.log);
    const nextOffset = nextOffsetOf(io, paths.log);
    for (const member of segmentBaseOffsets(io.readdirSync(dir))) {
      if (member <= baseOffset || member >= nextOffset) continue;
      for (const path of Object.values(segmentPaths(dir, member))) if (io.existsSync(path)) io.unlinkSync(path);
    }
    for (const path of [paths.index, paths.timeIndex]) if (io.existsSync(path + SWAP_SUFFIX)) io.renameSync(path + SWAP_SUFFIX, path);
    changed = true;
  }
  if (changed || swapBases.size > 0) io.fsyncDirSync(dir);
}

/** Offset after the last batch of a (fsynced, complete) cleaned log. */
function nextOffsetOf(io: FileIo, logPath: string): number {
  const fd = io.openSync(logPath, 'r');
  try {
    let next = 0;
    scanBatches(io, fd, 0, io.fstatSizeSync(fd), { verify: false, chunkBytes: 1024 * 1024 }, (batch) => {
      next = batch.lastOffset + 1;
      return true;
    });
    return next;
  } finally {
    io.closeSync(fd);
  }
}
