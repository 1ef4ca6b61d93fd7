/**
 * A durable checkpoint: one small JSON file, replaced atomically (write a temporary file, fsync
 * it, rename it over the old one, fsync the directory), so after a crash it holds either the old
 * or the new state, never a torn one. `brook tail` keeps its file positions here and the journald
 * input its cursor.
 *
 * One process at a time: `<file>.lock` holds the owner's pid; a second process gets a clear error
 * while the owner lives, and takes the lock over from a dead one (a SIGKILLed tail).
 *
 * Main thread; owned by one input. Saves are serialized: a save requested while one is being
 * written is done right after it, with the newest state.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BrookError } from '../common/errors.js';

export class CheckpointLockedError extends BrookError {
  constructor(file: string, pid: number) {
    super('CHECKPOINT_LOCKED', `${file} is in use by process ${pid} (another brook tail of the same files and topic?)`);
  }
}

export class CheckpointFile<State> {
  private writing: Promise<void> | null = null;
  private next: State | null = null;
  private locked = false;

  constructor(readonly file: string) {}

  /** Takes the lock and reads the state; null when there is none yet. */
  open(): State | null {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.lock();
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as State;
    } catch {
      // Starting over would send every file again: make the user decide.
      throw new BrookError('CHECKPOINT_CORRUPT', `${this.file} is not valid JSON; move it away to start over (files are then read again)`);
    }
  }

  /** Writes `state` durably; resolves once it (or a newer state) is on disk. */
  save(state: State): Promise<void> {
    this.next = state;
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /** Waits for pending saves, then releases the lock. */
  async close(): Promise<void> {
    while (this.writing !== null) await this.writing;
    if (this.locked) fs.rmSync(`${this.file}.lock`, { force: true });
    this.locked = false;
  }

  private async writeLoop(): Promise<void> {
    while (this.next !== null) {
      const state = this.next;
      this.next = null;
      const temporary = `${this.file}.tmp`;
      const handle = await fsp.open(temporary, 'w');
      try {
        await handle.writeFile(JSON.stringify(state));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temporary, this.file);
      const dir = await fsp.open(path.dirname(this.file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  private lock(): void {
    const lockFile = `${this.file}.lock`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(fs.readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new CheckpointLockedError(this.file, pid);
      fs.rmSync(lockFile, { force: true }); // its owner is gone
    }
    throw new CheckpointLockedError(this.file, -1);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
