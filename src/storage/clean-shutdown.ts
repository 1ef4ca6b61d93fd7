/**
 * The clean-shutdown marker of a partition directory (Kafka's .kafka_cleanshutdown, one per
 * partition here). Present on disk means: every file of this log is as the last close() left it,
 * fsynced, so the next open may trust the indexes, checkpoint and producer snapshot.
 *
 * It stays on disk while a log opened from a clean shutdown is only read: opening and closing an
 * untouched partition then writes and fsyncs nothing. Before the first change to the log's files
 * (append, roll, retention, DeleteRecords, cleaning, truncation, an index rebuild) it is removed
 * durably (unlink, then fsync of the directory), so a crash after that change finds no marker and
 * the next open runs a full recovery scan. Owned by the log's thread; not thread-safe.
 */
import { CLEAN_SHUTDOWN_FILE } from './file-names.js';
import { writeFileAtomic, type FileIo } from './io.js';

export class CleanShutdownMarker {
  /** 'unlinked': gone from the directory but the directory not yet fsynced (that fsync failed). */
  private state: 'present' | 'unlinked' | 'absent';

  constructor(
    private readonly io: FileIo,
    private readonly dir: string,
    present: boolean,
  ) {
    this.state = present ? 'present' : 'absent';
  }

  /** True while the files are as a clean close left them (nothing changed since the open). */
  get present(): boolean {
    return this.state !== 'absent';
  }

  /**
   * Call before changing any file of the log. Throws what the io throws; the caller must then not
   * make its change (a retry comes back here and finishes the removal).
   */
  removeBeforeMutation(): void {
    if (this.state === 'absent') return;
    if (this.state === 'present') {
      try {
        this.io.unlinkSync(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
      this.state = 'unlinked';
    }
    this.io.fsyncDirSync(this.dir);
    this.state = 'absent';
  }

  /** At a clean close, after everything else is fsynced. */
  write(): void {
    writeFileAtomic(this.io, this.dir, CLEAN_SHUTDOWN_FILE, Buffer.alloc(0));
    this.state = 'present';
  }
}
