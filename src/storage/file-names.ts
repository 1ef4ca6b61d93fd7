/** Segment file names: the base offset as 20 zero-padded digits, as Kafka names them. */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Present only while the log is closed cleanly; its absence at open means "scan the tail". */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
/** JSON {recoveryPoint, logStartOffset}, replaced atomically. */
export const CHECKPOINT_FILE = 'partition.checkpoint';
/** Producer state at clean close (ProducerStateManager's snapshot). */
export const PRODUCER_SNAPSHOT_FILE = 'producer.snapshot';

export function offsetFileStem(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  const stem = `${dir}/${offsetFileStem(baseOffset)}`;
  return { log: stem + LOG_SUFFIX, index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
}

/** Base offsets of the .log files in a directory listing, ascending. */
export function segmentBaseOffsets(names: readonly string[]): number[] {
  const out: number[] = [];
  for (const name of names) {
    if (name.length === 20 + LOG_SUFFIX.length && name.endsWith(LOG_SUFFIX) && /^\d{20}/.test(name)) {
      out.push(Number(name.slice(0, 20)));
    }
  }
  return out.sort((a, b) => a - b);
}

/** Cleaner swap stages (Kafka's LogCleaner suffixes): written, complete, replaced-and-doomed. */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';
/** JSON {firstDirtyOffset, cleanedAtMs: [baseOffset, ms][]}, replaced atomically. */
export const CLEANER_CHECKPOINT_FILE = 'cleaner.checkpoint';
