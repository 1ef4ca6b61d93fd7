/**
 * The checkpoint of `brook tail` (checkpoint-file.ts keeps it durable):
 *
 *   { "version": 1,
 *     "files": [ { "path": "/var/log/app.log", "dev": "2049", "ino": "1835041",
 *                  "headBytes": 1024, "headHash": "9f2c...", "position": 7340032 } ] }
 *
 * `dev`/`ino` are strings (a 64-bit inode does not fit a JSON number exactly); `position` is the
 * byte every record before which is acknowledged; `headBytes`/`headHash` the fingerprint that
 * must still match for the position to apply to the file found at that inode.
 */
import type { FollowedFile } from './followed-file.js';

export const TAIL_CHECKPOINT_VERSION = 1;

export interface CheckpointEntry {
  path: string;
  dev: string;
  ino: string;
  headBytes: number;
  headHash: string;
  position: number;
}

export interface TailCheckpoint {
  version: number;
  files: CheckpointEntry[];
}

export function checkpointOf(files: ReadonlyArray<{ file: FollowedFile; position: number }>): TailCheckpoint {
  return {
    version: TAIL_CHECKPOINT_VERSION,
    files: files.map(({ file, position }) => {
      const [dev, ino] = file.key.split(':') as [string, string];
      return { path: file.path, dev, ino, headBytes: file.head.bytes, headHash: file.head.hash, position };
    }),
  };
}
