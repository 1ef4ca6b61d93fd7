/**
 * One process owns a data dir (DESIGN.md): <dataDir>/.lock holds the owner's pid. The file is
 * created with O_EXCL, so two starting processes cannot both win; a lock whose pid no longer runs
 * is stale (a crash) and is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataDirLockedError } from '../common/errors.js';

const LOCK_FILE = '.lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes the lock for this process; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readPid(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const holder = readPid(lockPath);
    if (holder !== null && holder !== process.pid && isRunning(holder)) {
      throw new DataDirLockedError(`data dir ${dataDir} is in use by process ${holder} (lock file ${lockPath})`);
    }
    if (holder === process.pid) throw new DataDirLockedError(`data dir ${dataDir} is already locked by this process (${holder})`);
    fs.rmSync(lockPath, { force: true }); // stale: its owner is gone
  }
  throw new DataDirLockedError(`could not take the lock ${lockPath}: it keeps reappearing`);
}

function readPid(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
