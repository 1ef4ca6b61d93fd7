/**
 * A task's checkpoint file (Kafka's OffsetCheckpoint, same text format):
 *
 *   0                       version
 *   2                       number of entries
 *   <topic> <partition> <offset>
 *   ...
 *
 * One entry per changelog partition: the next changelog offset the local store does not hold yet.
 * It is written after the store's lmdb transaction is on disk, through a temporary file and a
 * rename, so it never claims more than the store has: restoring from it replays only what is
 * missing (a clean restart replays nothing), and a missing or unreadable file means "restore
 * everything". Written by the task's stream thread only.
 */
import fs from 'node:fs';
import path from 'node:path';

export const CHECKPOINT_FILE = '.checkpoint';
const VERSION = 0;

export type Checkpoint = Map<string, number>;

export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

/** The checkpoint in `dir`, or null when there is none or it cannot be read (then: restore all). */
export function readCheckpoint(dir: string): Checkpoint | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== String(VERSION)) return null;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || lines.length !== count + 2) return null;
  const out: Checkpoint = new Map();
  for (const line of lines.slice(2)) {
    const match = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (match === null) return null;
    out.set(checkpointKey(match[1]!, Number(match[2])), Number(match[3]));
  }
  return out;
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const lines = [String(VERSION), String(checkpoint.size), ...[...checkpoint].map(([key, offset]) => `${key} ${offset}`)];
  const target = path.join(dir, CHECKPOINT_FILE);
  const temporary = `${target}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, lines.join('\n') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, target);
}

export function deleteCheckpoint(dir: string): void {
  fs.rmSync(path.join(dir, CHECKPOINT_FILE), { force: true });
}
