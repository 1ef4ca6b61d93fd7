/**
 * A piscina worker of the recovery CRC pool (crc-pool.ts): checks the batches of one byte range of
 * a segment, CRC-32C included, reading the range from the file itself. Reads go to node:fs
 * directly, not through a FileIo: reads are never faulted by the tests' FaultyIo, and this thread
 * holds one descriptor only while a task runs.
 */
import fs from 'node:fs';
import { SCAN_CHUNK_BYTES, scanBatches, type ScanResult } from './batch-scan.js';
import { nodeIo } from './io.js';
import type { CrcTask } from './crc-pool.js';

/** Reused by every task of this thread: fresh 4 MiB per task cost ~30% more CPU in page faults. */
const scratch = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);

export default function verifyRange(task: CrcTask): ScanResult {
  const fd = fs.openSync(task.path, 'r');
  try {
    return scanBatches(nodeIo, fd, task.start, task.end, { verify: true, scratch }, () => true);
  } finally {
    fs.closeSync(fd);
  }
}
