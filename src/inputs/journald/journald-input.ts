/**
 * `brook tail --journald`: follows the systemd journal by reading `journalctl -o json -f` (one JSON
 * entry per line), with the cursor of the last acknowledged entry checkpointed like a file
 * position (checkpoint-file.ts: `{ "version": 1, "cursor": "s=...;i=...;..." }`). A restart runs
 * `journalctl --after-cursor=<cursor>`: after a clean stop nothing is lost or repeated; after a
 * SIGKILL the entries after the last checkpoint are sent again (at most windowBytes of them).
 *
 * Backpressure: journalctl's stdout is paused while the producer's buffer is full, or while
 * windowBytes have been sent since the last checkpoint; journalctl then blocks on its pipe.
 * Main thread; one per checkpoint file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CheckpointFile } from '../checkpoint-file.js';
import { longLines, type LongLinePolicy, type LongLines } from '../long-lines.js';
import type { InputRecord, InputSink } from '../sink.js';
import { journalRecord } from './journal-entry.js';

export interface JournaldOptions {
  checkpointFile: string;
  /** journalctl's path; default `journalctl` from PATH. */
  journalctl?: string;
  /** More journalctl arguments: `--unit=nginx`, `--directory=/var/log/journal`, ... */
  journalctlArgs?: string[];
  /** At the very first start (no cursor yet): only new entries, instead of the whole journal. */
  fromEnd?: boolean;
  maxLineBytes?: number;
  maxLinePolicy?: LongLinePolicy;
  checkpointIntervalMs?: number;
  windowBytes?: number;
}

interface JournaldCheckpoint {
  version: number;
  cursor: string | null;
}

interface Batch {
  cursor: string | null;
  bytes: number;
  done: boolean;
}

const LF = 0x0a;

export class JournaldInput {
  readonly failed: Promise<Error>;
  private reportFailure!: (error: Error) => void;
  private cursor: string | null;
  private checkpointedCursor: string | null;
  private sentSinceCheckpointBytes = 0;
  private readonly batches: Batch[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private readonly limits: LongLines;
  private readonly timer: NodeJS.Timeout;
  private readonly exited: Promise<void>;
  private stopping = false;
  private paused = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly sink: InputSink,
    private readonly checkpoint: CheckpointFile<JournaldCheckpoint>,
    cursor: string | null,
    private readonly options: JournaldOptions,
    private readonly log: (line: string) => void,
  ) {
    this.cursor = cursor;
    this.checkpointedCursor = cursor;
    this.limits = longLines(options.maxLineBytes, options.maxLinePolicy);
    this.failed = new Promise((resolve) => (this.reportFailure = resolve));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => {
      if (!this.stopping) this.fail(new Error(`journalctl exited (${signal ?? code}): ${stderr.trim() || 'no message'}`));
      resolve();
    }));
    child.once('error', (error) => this.fail(new Error(`cannot run journalctl: ${error.message}`)));
    this.timer = setInterval(() => void this.saveCheckpoint(), options.checkpointIntervalMs ?? 1000);
  }

  static async start(options: JournaldOptions, sink: InputSink, log: (line: string) => void): Promise<JournaldInput> {
    const checkpoint = new CheckpointFile<JournaldCheckpoint>(options.checkpointFile);
    const state = checkpoint.open();
    const cursor = state?.cursor ?? null;
    // -f alone shows only the last 10 entries, even after a cursor: ask for all of them.
    const args = ['-o', 'json', '-f', '--no-pager', cursor === null && options.fromEnd === true ? '--lines=0' : '--lines=all'];
    if (cursor !== null) args.push(`--after-cursor=${cursor}`);
    args.push(...(options.journalctlArgs ?? []));
    const child = spawn(options.journalctl ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new JournaldInput(child, sink, checkpoint, cursor, options, log);
  }

  private onData(chunk: Buffer): void {
    const records: InputRecord[] = [];
    let cursor: string | null = null;
    let pos = 0;
    const nowMs = Date.now();
    for (;;) {
      const newline = chunk.indexOf(LF, pos);
      if (newline === -1) break;
      const line = this.takeLine(chunk, pos, newline);
      pos = newline + 1;
      if (line.length === 0) continue;
      const entry = journalRecord(line, this.limits, this.sink.routing.needsFields, this.sink.stats, nowMs);
      if (entry.record !== null) records.push(entry.record);
      cursor = entry.cursor ?? cursor;
    }
    if (pos < chunk.length) this.keepPartial(chunk.subarray(pos));
    if (cursor === null && records.length === 0) return;
    this.send(records, cursor, chunk.length);
  }

  private takeLine(chunk: Buffer, from: number, to: number): Buffer {
    if (this.partialBytes === 0) return chunk.subarray(from, to);
    this.partial.push(chunk.subarray(from, to));
    const line = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return line;
  }

  private keepPartial(bytes: Buffer): void {
    // Entries are JSON lines; a longer one than max_line_bytes is still kept whole up to the
    // limit + 1 so journal-entry.ts sees it is too long (the rest is not needed to cut it).
    const room = this.limits.maxLineBytes + 1 - this.partialBytes;
    if (room > 0) this.partial.push(Buffer.from(bytes.subarray(0, room)));
    this.partialBytes += bytes.length;
  }

  private send(records: InputRecord[], cursor: string | null, bytes: number): void {
    const batch: Batch = { cursor, bytes, done: false };
    this.batches.push(batch);
    this.sentSinceCheckpointBytes += bytes;
    const sent = this.sink.send(records).then((outcome) => {
      if (outcome.fatal !== null) return this.fail(outcome.fatal);
      batch.done = true;
      while (this.batches.length > 0 && this.batches[0]!.done) {
        const first = this.batches.shift()!;
        if (first.cursor !== null) this.cursor = first.cursor;
      }
    }, (error: Error) => this.fail(error));
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    this.applyBackpressure();
  }

  private applyBackpressure(): void {
    const windowBytes = this.options.windowBytes ?? 4 * 1024 * 1024;
    const full = !this.sink.hasCapacity() || this.sentSinceCheckpointBytes >= windowBytes;
    if (!full || this.paused) return;
    this.paused = true;
    this.child.stdout!.pause();
    const resume = async (): Promise<void> => {
      await this.sink.ready();
      if (this.sentSinceCheckpointBytes >= windowBytes) await this.saveCheckpoint();
      this.paused = false;
      if (!this.stopping) this.child.stdout!.resume();
    };
    void resume();
  }

  private async saveCheckpoint(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const cursor = this.cursor;
    this.sentSinceCheckpointBytes = 0;
    if (cursor === this.checkpointedCursor) return;
    await this.checkpoint.save({ version: 1, cursor });
    this.checkpointedCursor = cursor;
  }

  private fail(error: Error): void {
    if (this.stopping) return;
    this.log(`${this.sink.stats.name}: stopped: ${error.message}`);
    this.reportFailure(error);
  }

  /** Stops journalctl, waits for the acknowledgements, saves the cursor. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    this.child.stdout!.resume();
    this.child.kill('SIGTERM');
    await this.exited;
    await Promise.allSettled([...this.inFlight]);
    try {
      await this.saveCheckpoint();
    } finally {
      await this.checkpoint.close();
    }
  }
}
