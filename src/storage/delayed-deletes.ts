/**
 * file.delete.delay.ms (Kafka's asynchronous segment deletion): a segment that retention,
 * DeleteRecords or the cleaner removes is renamed to <name>.deleted at once (so it is gone from the
 * log and from new directory listings) and its files are unlinked only after the delay, so a
 * reader in another thread that still has one open keeps reading it. Leftover .deleted files
 * (a crash, a restart within the delay) are removed by the loader at the next open, as Kafka does.
 * Owned by one PartitionLog; not thread-safe.
 */
import { DELETED_SUFFIX } from './file-names.js';
import type { FileIo } from './io.js';

export class DelayedDeletes {
  private pending: { paths: string[]; dueMs: number }[] = [];

  constructor(private readonly io: FileIo) {}

  /**
   * Deletes `paths` after `delayMs`: renamed to .deleted now, unlinked by a later tick(). With no
   * delay they are unlinked at once.
   */
  delete(paths: readonly string[], nowMs: number, delayMs: number): void {
    const existing = paths.filter((path) => this.io.existsSync(path));
    if (delayMs <= 0) {
      for (const path of existing) this.io.unlinkSync(path);
      return;
    }
    for (const path of existing) this.io.renameSync(path, path + DELETED_SUFFIX);
    this.later(existing.map((path) => path + DELETED_SUFFIX), nowMs, delayMs);
  }

  /** Unlinks files already renamed to .deleted (by the cleaner's swap) after `delayMs`. */
  later(deletedPaths: readonly string[], nowMs: number, delayMs: number): void {
    if (delayMs <= 0) {
      for (const path of deletedPaths) if (this.io.existsSync(path)) this.io.unlinkSync(path);
      return;
    }
    this.pending.push({ paths: [...deletedPaths], dueMs: nowMs + delayMs });
  }

  /** Unlinks what is due. */
  tick(nowMs: number): void {
    if (this.pending.length === 0) return;
    const due = this.pending.filter((p) => p.dueMs <= nowMs);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.dueMs > nowMs);
    for (const { paths } of due) for (const path of paths) if (this.io.existsSync(path)) this.io.unlinkSync(path);
  }

  /** Unlinks everything still waiting (the log is closing: nothing reads through it any more). */
  flushAll(): void {
    this.tick(Infinity);
  }

  /** When the next pending file is due to go, or Infinity. */
  nextDueMs(): number {
    let dueMs = Infinity;
    for (const { dueMs: at } of this.pending) dueMs = Math.min(dueMs, at);
    return dueMs;
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
