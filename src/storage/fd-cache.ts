/**
 * Lazy, bounded file descriptors. A partition's segment files are LazyFiles (after Kafka's
 * LazyIndex, which maps an index file only when it is first used): no descriptor until a read,
 * write or fsync needs one, and every open one sits in this thread's FdCache, an LRU with an
 * explicit cap. Past the cap the least recently used descriptor is closed; its LazyFile reopens
 * the same path with the same flags on its next use. That is safe because every storage write is
 * positional, and an fsync on a new descriptor flushes the file's dirty pages whoever wrote them
 * (Linux >= 4.16 also reports an earlier writeback error, not yet seen by anyone, to the next
 * fsync on any descriptor of the file).
 *
 * The descriptor fd() returns is valid until the next call into the same cache: use it at once
 * (one read, write, fsync or scan), never keep it across another file's use. A pinned file
 * (pin/unpin: an async read in flight) is never closed by the cache; while every open file is
 * pinned the cache goes over its cap rather than close one under its user.
 *
 * A LazyFile that tracks identity remembers the file (device, inode) of its first open; a reopen
 * that finds another file at the path (the cleaner swapped it) throws ESTALE instead of silently
 * reading the new file with positions learned from the old one.
 *
 * Not thread-safe: one FdCache per thread (defaultFdCache() gives each thread its own).
 */
import os from 'node:os';
import { assert } from '../common/assert.js';
import type { FileIo } from './io.js';
import { filesPerThread } from './open-files.js';

export class FdCache {
  /** Open LazyFiles, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<LazyFile, true>();
  /** The most recently used file (the Map's last key), so a repeated touch costs nothing. */
  private last: LazyFile | null = null;
  /** Counters for stats and tests. */
  readonly stats = { opens: 0, evictions: 0 };

  constructor(readonly maxOpenFiles: number) {
    assert(Number.isInteger(maxOpenFiles) && maxOpenFiles >= 1, `an fd cache needs a positive cap, got ${maxOpenFiles}`);
  }

  /** Descriptors open now (pinned ones included). */
  get openCount(): number {
    return this.lru.size;
  }

  /** A LazyFile for `path`, opened with `flags` on first use; no descriptor yet. */
  file(io: FileIo, path: string, flags: string, options: { trackIdentity?: boolean } = {}): LazyFile {
    return new LazyFile(this, io, path, flags, options.trackIdentity ?? false);
  }

  /** @internal Makes room for one more descriptor, closing least recently used unpinned ones. */
  beforeOpen(): void {
    if (this.lru.size < this.maxOpenFiles) return;
    for (const file of this.lru.keys()) {
      if (this.lru.size < this.maxOpenFiles) return;
      if (file.pinCount > 0) continue;
      file.closeDescriptor();
      this.stats.evictions++;
    }
  }

  /** @internal */
  opened(file: LazyFile): void {
    this.lru.set(file, true);
    this.last = file;
    this.stats.opens++;
  }

  /** @internal Marks `file` most recently used. */
  touch(file: LazyFile): void {
    // A partition appending batch after batch touches the same file each time: already last.
    if (this.last === file) return;
    this.last = file;
    this.lru.delete(file);
    this.lru.set(file, true);
  }

  /** @internal */
  closed(file: LazyFile): void {
    this.lru.delete(file);
    if (this.last === file) this.last = null;
  }
}

export class LazyFile {
  private descriptor: number | null = null;
  private pins = 0;
  private closeAtUnpin = false;
  /** Identity (device:inode) of the file first opened, with trackIdentity; else null. */
  private firstId: string | null = null;

  constructor(
    private readonly cache: FdCache,
    private readonly io: FileIo,
    readonly path: string,
    private readonly flags: string,
    private readonly trackIdentity: boolean,
  ) {}

  get isOpen(): boolean {
    return this.descriptor !== null;
  }

  get pinCount(): number {
    return this.pins;
  }

  /** Identity of the file this LazyFile first opened (trackIdentity), or null if never opened. */
  get openedId(): string | null {
    return this.firstId;
  }

  /** The open descriptor, opening the file if needed. Use it at once (see the header). */
  fd(): number {
    if (this.descriptor === null) return this.open();
    this.cache.touch(this);
    return this.descriptor;
  }

  /** The descriptor, kept open until unpin() whatever else the cache opens meanwhile. */
  pin(): number {
    const fd = this.fd();
    this.pins++;
    return fd;
  }

  unpin(): void {
    assert(this.pins > 0, `unpin of ${this.path} without a pin`);
    this.pins--;
    if (this.pins === 0 && this.closeAtUnpin) this.closeDescriptor();
  }

  /** Runs `use` with the descriptor pinned: for work that touches other files meanwhile. */
  use<T>(use: (fd: number) => T): T {
    const fd = this.pin();
    try {
      return use(fd);
    } finally {
      this.unpin();
    }
  }

  /** Closes the descriptor now, or at the last unpin. The file stays usable: fd() reopens it. */
  close(): void {
    if (this.pins > 0) this.closeAtUnpin = true;
    else this.closeDescriptor();
  }

  /** @internal Closes the descriptor (best effort: it may be dead after a simulated crash). */
  closeDescriptor(): void {
    this.closeAtUnpin = false;
    if (this.descriptor === null) return;
    const fd = this.descriptor;
    this.descriptor = null;
    this.cache.closed(this);
    try {
      this.io.closeSync(fd);
    } catch {
      // nothing to do: the descriptor is gone either way
    }
  }

  private open(): number {
    this.cache.beforeOpen();
    const fd = this.io.openSync(this.path, this.flags);
    if (this.trackIdentity) {
      let id: string;
      try {
        id = this.io.fileIdSync(fd);
      } catch (err) {
        this.io.closeSync(fd);
        throw err;
      }
      if (this.firstId === null) {
        this.firstId = id;
      } else if (id !== this.firstId) {
        this.io.closeSync(fd);
        throw Object.assign(new Error(`ESTALE: ${this.path} was replaced since it was first opened`), { code: 'ESTALE', errno: -116 });
      }
    }
    this.descriptor = fd;
    this.cache.opened(this);
    return fd;
  }
}

let threadCache: FdCache | null = null;

/**
 * This thread's cache for callers that pass none (module state is per thread in Node). Its cap is
 * one thread's share when there is a thread per core plus the main thread (the sharded engine's
 * default): 5,000 descriptors each on 2 cores with a limit of 20,000, generous for any one
 * thread, and all of them together stay under the limit. An engine with another thread count
 * passes each thread an FdCache of filesPerThread(threads) instead.
 */
export function defaultFdCache(): FdCache {
  threadCache ??= new FdCache(filesPerThread(os.availableParallelism() + 1));
  return threadCache;
}
