/**
 * `brook tail PATH|GLOB... --topic T` (and `--tail` of `brook serve`, `inputs.tail` of
 * `Brook.open`): follows files into a topic, line by line, across rotation, with a durable
 * position per file.
 *
 * - Discovery: the patterns are expanded every scanIntervalMs and on directory events (fs.watch);
 *   a file first seen after the start is read from its beginning; files present at the very first
 *   start (no checkpoint yet) from their beginning too, or from their end with `fromEnd`.
 * - Identity (identity.ts): device + inode, checked against a fingerprint of the first bytes.
 * - Rotation by rename-and-create: the renamed file keeps its inode, so it is the same followed
 *   file; if it no longer matches, it is read to its end and closed once quiet for rotateWaitMs,
 *   while the new file at the path is read from its beginning. Rotation by copytruncate: the
 *   file shrinking below the read position (or its first bytes changing) starts it over at 0; a
 *   copy matching the patterns is recognised by its fingerprints and read from where the original
 *   was read to, so lines written just before the copy are not lost.
 * - Checkpoints (checkpoint-file.ts): every checkpointIntervalMs, whenever a file's acknowledged
 *   position gets windowBytes/2 ahead, and at stop; each holds positions whose records are all
 *   acknowledged. A clean stop waits for every acknowledgement and saves: no line lost or
 *   repeated. After a SIGKILL, only lines after the last checkpoint are read again
 *   (followed-file.ts bounds how many).
 * - A file that was rotated while tail was stopped is looked for in its directory by inode and
 *   read to its end.
 *
 * Main thread; one TailInput per checkpoint file.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidConfigError } from '../../common/errors.js';
import { CheckpointFile } from '../checkpoint-file.js';
import { longLines, type LongLinePolicy } from '../long-lines.js';
import type { InputSink } from '../sink.js';
import { FollowedFile, type TailContext } from './followed-file.js';
import { expandGlobs, watchRoot } from './glob.js';
import { headMatches, readHead, tailMarkMatches, HEAD_BYTES, type Head, type TailMark } from './identity.js';
import { type CheckpointEntry, type TailCheckpoint, checkpointOf } from './tail-checkpoint.js';

export interface TailOptions {
  paths: string[];
  checkpointFile: string;
  multilineStart?: string;
  multilineTimeoutMs?: number;
  maxLineBytes?: number;
  maxLinePolicy?: LongLinePolicy;
  fromEnd?: boolean;
  scanIntervalMs?: number;
  pollIntervalMs?: number;
  rotateWaitMs?: number;
  checkpointIntervalMs?: number;
  windowBytes?: number;
  chunkBytes?: number;
}

interface TailSettings {
  multilineTimeoutMs: number;
  scanIntervalMs: number;
  pollIntervalMs: number;
  rotateWaitMs: number;
  checkpointIntervalMs: number;
  windowBytes: number;
  chunkBytes: number;
  fromEnd: boolean;
}

export const TAIL_DEFAULTS: TailSettings = {
  multilineTimeoutMs: 1000, scanIntervalMs: 1000, pollIntervalMs: 250, rotateWaitMs: 5000,
  checkpointIntervalMs: 1000, windowBytes: 4 * 1024 * 1024, chunkBytes: 1024 * 1024, fromEnd: false,
};

export class TailInput {
  /** Settles when the input stops by itself: with the error that stopped it. */
  readonly failed: Promise<Error>;
  private readonly files = new Map<string, FollowedFile>();
  private readonly context: TailContext;
  private readonly settings: TailSettings;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly watchers: fs.FSWatcher[] = [];
  private restored = new Map<string, CheckpointEntry>();
  /** New files whose identity waits for a later scan: the size each had when last seen. */
  private readonly undecided = new Map<string, number>();
  private firstStart = false;
  private scanning: Promise<void> | null = null;
  private stopping = false;
  private dirty = false;
  private readScheduled = false;
  private reportFailure!: (error: Error) => void;

  private constructor(
    private readonly options: TailOptions,
    private readonly sink: InputSink,
    private readonly checkpoint: CheckpointFile<TailCheckpoint>,
    private readonly log: (line: string) => void,
  ) {
    this.settings = { ...TAIL_DEFAULTS, ...definedOnly(options) };
    this.failed = new Promise((resolve) => (this.reportFailure = resolve));
    let failure: Error | null = null;
    this.context = {
      sink,
      limits: longLines(options.maxLineBytes, options.maxLinePolicy),
      multilineStart: multilineRegExp(options.multilineStart),
      chunkBytes: this.settings.chunkBytes,
      windowBytes: this.settings.windowBytes,
      stopping: () => this.stopping,
      replaced: () => void this.scan(),
      acknowledged: (file) => {
        this.dirty = true;
        if (file.acknowledgedPosition - file.checkpointedPosition >= this.settings.windowBytes / 2) void this.saveCheckpoint();
      },
      fail: (error) => {
        if (failure !== null) return;
        failure = error;
        this.log(`${sink.stats.name}: stopped: ${error.message}`);
        this.reportFailure(error);
      },
    };
  }

  static async start(options: TailOptions, sink: InputSink, log: (line: string) => void): Promise<TailInput> {
    if (options.paths.length === 0) throw new InvalidConfigError('tail needs at least one path or pattern');
    const checkpoint = new CheckpointFile<TailCheckpoint>(options.checkpointFile);
    const state = checkpoint.open();
    const input = new TailInput(options, sink, checkpoint, log);
    try {
      input.firstStart = state === null;
      for (const entry of state?.files ?? []) input.restored.set(`${entry.dev}:${entry.ino}`, entry);
      await input.scan();
      input.firstStart = false; // fromEnd is for the files present at the very first start only
      await input.findRotatedWhileStopped();
      input.restored.clear();
      input.watch();
      input.readAll();
      return input;
    } catch (error) {
      await checkpoint.close();
      throw error;
    }
  }

  /** Files followed now (for tests and stats). */
  get fileCount(): number {
    return this.files.size;
  }

  private watch(): void {
    const { scanIntervalMs, pollIntervalMs, checkpointIntervalMs } = this.settings;
    this.timers.push(setInterval(() => void this.scan(), scanIntervalMs));
    this.timers.push(setInterval(() => this.tick(), pollIntervalMs));
    this.timers.push(setInterval(() => {
      if (this.dirty) void this.saveCheckpoint();
    }, checkpointIntervalMs));
    for (const dir of new Set(this.options.paths.map(watchRoot))) {
      try {
        const watcher = fs.watch(dir, { persistent: false }, (eventType) => {
          if (eventType === 'rename') void this.scan();
          this.readAll();
        });
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // The directory may not exist yet: the periodic scan finds files there later.
      }
    }
  }

  /** Reads every open file soon (once per event-loop turn however many events arrive). */
  private readAll(): void {
    if (this.readScheduled || this.stopping) return;
    this.readScheduled = true;
    setImmediate(() => {
      this.readScheduled = false;
      for (const file of this.files.values()) if (file.handle !== null) void file.read();
    });
  }

  /** Periodic: read, end quiet multi-line events, let go of rotated files that went quiet. */
  private tick(): void {
    this.readAll();
    const nowMs = Date.now();
    for (const file of this.files.values()) {
      const quietMs = nowMs - file.lastDataMs;
      if (file.gone && !file.retiring && file.handle !== null && quietMs >= this.settings.rotateWaitMs) void this.retire(file);
      else if (file.hasPendingEvent && quietMs >= this.settings.multilineTimeoutMs) file.flushPending(false);
    }
  }

  /** A rotated-away or deleted file has been quiet: finish it and stop following it. */
  private async retire(file: FollowedFile): Promise<void> {
    file.retiring = true;
    const size = file.handle === null ? 0 : (await file.handle.stat()).size;
    if (size > file.readPosition || !file.gone) {
      file.retiring = false;
      return; // it grew after all, or came back: keep reading
    }
    file.flushPending(true);
    await file.close();
    await file.settled();
    if (this.files.get(file.key) === file && file.acknowledgedPosition >= file.emittedPosition) this.files.delete(file.key);
    this.dirty = true;
  }

  private scan(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const seen = new Set<string>();
    for (const filePath of await expandGlobs(this.options.paths)) {
      let stat: fs.BigIntStats;
      try {
        stat = await fsp.stat(filePath, { bigint: true });
      } catch {
        continue; // gone between the listing and the stat
      }
      const key = `${stat.dev}:${stat.ino}`;
      seen.add(key);
      const file = this.files.get(key);
      if (file !== undefined) await this.check(file, filePath, Number(stat.size));
      else await this.discover(filePath, key, Number(stat.size));
    }
    for (const key of this.undecided.keys()) if (!seen.has(key)) this.undecided.delete(key);
    for (const file of this.files.values()) {
      if (!seen.has(file.key) && !file.gone) {
        file.gone = true;
        file.lastDataMs = Date.now(); // rotateWaitMs counts from here
      }
    }
  }

  /** A known file seen again: renamed? truncated or replaced? grown while closed? */
  private async check(file: FollowedFile, filePath: string, size: number): Promise<void> {
    if (file.path !== filePath) this.dirty = true;
    file.path = filePath;
    file.gone = false;
    if (file.handle === null) {
      if (size <= file.readPosition) return;
      file.handle = await fsp.open(filePath, 'r').catch(() => null);
      if (file.handle === null) return;
    }
    const handle = file.handle;
    const replaced = size < file.readPosition || !(await headMatches(handle, file.head));
    if (replaced) {
      this.log(`${this.sink.stats.name}: ${filePath} was truncated or replaced; reading it again from the start`);
      // Only what is read extends the head (followed-file.ts): a head taken here could already
      // be the next rewrite's.
      file.restart(await readHead(handle, 0));
      this.dirty = true;
    }
    void file.read();
  }

  /**
   * A file not followed yet. Its identity is decided once it can be: a file shorter than its
   * fingerprint, or one whose first bytes match a followed file's but which is shorter than that
   * file's read position, may be a copy still being written (logrotate's copytruncate) — it waits
   * for a later scan, until it is long enough or has stopped growing.
   */
  private async discover(filePath: string, key: string, size: number): Promise<void> {
    const handle = await fsp.open(filePath, 'r').catch(() => null);
    if (handle === null) return;
    const head = await readHead(handle, size);
    let position = this.firstStart && this.settings.fromEnd ? size : 0;
    const entry = this.restored.get(key);
    if (entry !== undefined) {
      this.restored.delete(key);
      const same = entry.headBytes <= size && entry.position <= size && (await headMatches(handle, { bytes: entry.headBytes, hash: entry.headHash }));
      position = same ? entry.position : 0;
    } else if (!this.firstStart) {
      const original = await this.copiedFrom(handle, head, size);
      const growing = this.undecided.get(key) !== size;
      if (original === 'maybe' || (head.bytes < HEAD_BYTES && original === null)) {
        if (growing) {
          this.undecided.set(key, size);
          await handle.close();
          return; // decided at a later scan
        }
      } else if (original !== null) {
        position = original.mark.position;
        this.log(`${this.sink.stats.name}: ${filePath} is a copy of ${original.path} (copytruncate); reading it from byte ${position}`);
      }
    }
    this.undecided.delete(key);
    this.files.set(key, new FollowedFile(filePath, key, handle, head, position, this.context));
    this.dirty = true;
  }

  /**
   * The followed file that `handle`'s file is a copy of: the same first bytes and the same bytes
   * before a position read. 'maybe' when the first bytes match but the file is not yet as long.
   */
  private async copiedFrom(handle: fsp.FileHandle, head: Head, size: number): Promise<{ path: string; mark: TailMark } | 'maybe' | null> {
    if (head.bytes < HEAD_BYTES) return null;
    let maybe = false;
    for (const file of this.files.values()) {
      for (const known of [{ head: file.head, mark: file.mark }, file.previous]) {
        if (known === null || known.mark === null || known.head.hash !== head.hash || known.head.bytes !== HEAD_BYTES) continue;
        if (size < known.mark.position) maybe = true;
        else if (await tailMarkMatches(handle, known.mark)) return { path: file.path, mark: known.mark };
      }
    }
    return maybe ? 'maybe' : null;
  }

  /** Checkpointed files no pattern matches any more: renamed in their directory while we were stopped? */
  private async findRotatedWhileStopped(): Promise<void> {
    for (const [key, entry] of this.restored) {
      const dir = path.dirname(entry.path);
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        const candidate = path.join(dir, name);
        const stat = await fsp.stat(candidate, { bigint: true }).catch(() => null);
        if (stat === null || `${stat.dev}:${stat.ino}` !== key || !stat.isFile()) continue;
        const handle = await fsp.open(candidate, 'r').catch(() => null);
        if (handle === null) break;
        const size = Number(stat.size);
        if (entry.position > size || !(await headMatches(handle, { bytes: entry.headBytes, hash: entry.headHash }))) {
          await handle.close();
          break;
        }
        const file = new FollowedFile(candidate, key, handle, { bytes: entry.headBytes, hash: entry.headHash }, entry.position, this.context);
        file.gone = true;
        this.files.set(key, file);
        this.log(`${this.sink.stats.name}: ${entry.path} was rotated to ${candidate} while stopped; reading the rest of it`);
        break;
      }
    }
  }

  private async saveCheckpoint(): Promise<void> {
    this.dirty = false;
    const snapshot = [...this.files.values()].map((file) => ({ file, generation: file.generation, position: file.acknowledgedPosition }));
    await this.checkpoint.save(checkpointOf(snapshot.map(({ file, position }) => ({ file, position }))));
    for (const { file, generation, position } of snapshot) {
      if (file.generation === generation && position > file.checkpointedPosition) file.checkpointedPosition = position;
    }
    this.readAll(); // files that waited for the checkpoint window
  }

  /** Stops reading, waits for every acknowledgement, saves the checkpoint, closes the files. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const watcher of this.watchers) watcher.close();
    if (this.scanning !== null) await this.scanning.catch(() => {});
    await Promise.allSettled([...this.files.values()].map((file) => file.settled()));
    try {
      await this.saveCheckpoint();
    } finally {
      await Promise.allSettled([...this.files.values()].map((file) => file.close()));
      await this.checkpoint.close();
    }
  }
}

function multilineRegExp(source: string | undefined): RegExp | null {
  if (source === undefined) return null;
  try {
    return new RegExp(source);
  } catch (error) {
    throw new InvalidConfigError(`multiline start '${source}' is not a regular expression: ${(error as Error).message}`);
  }
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
