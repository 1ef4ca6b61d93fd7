/**
 * Opening and closing many untouched partitions on one thread: what a sharded engine pays at
 * start and at shutdown for partitions nobody writes to. Builds N (default 10,000) empty
 * partitions closed cleanly (one made by PartitionLog, the rest copies of its files, so the setup
 * costs no fsyncs), then per round opens all N, keeping them open, and closes them all. Baseline
 * in the same run: listing each partition's directory, the least an open must do. It also counts
 * the writes and fsyncs of opens and closes (zero expected) and the descriptors the open logs
 * hold (zero expected: files open lazily).
 * Run: `node dist/bench/macro/partition-open.js [partitions] [--dir PATH]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { nodeIo, type FileIo } from '../../src/storage/io.js';
import { FdCache } from '../../src/storage/fd-cache.js';
import { filesPerThread } from '../../src/storage/open-files.js';
import { describeMachine, machineInfo, median, round, type MachineInfo } from '../../src/bench-lib/stats.js';

export interface PartitionOpenResult {
  partitions: number;
  rounds: number;
  /** Medians over the rounds, seconds for all partitions. */
  openSec: number;
  closeSec: number;
  listDirSec: number;
  openToListRatio: number;
  /** Over every round's opens and closes. */
  writes: number;
  fsyncs: number;
  descriptorsHeldWhileOpen: number;
  machine: MachineInfo;
}

/** nodeIo, counting what changes the disk. */
function countingIo(): { io: FileIo; counts: { writes: number; fsyncs: number } } {
  const counts = { writes: 0, fsyncs: 0 };
  const io: FileIo = {
    ...nodeIo,
    writeSync: (...args) => (counts.writes++, nodeIo.writeSync(...args)),
    fsyncSync: (fd) => (counts.fsyncs++, nodeIo.fsyncSync(fd)),
    fsyncDirSync: (p) => (counts.fsyncs++, nodeIo.fsyncDirSync(p)),
    ftruncateSync: (fd, length) => (counts.writes++, nodeIo.ftruncateSync(fd, length)),
    renameSync: (from, to) => (counts.writes++, nodeIo.renameSync(from, to)),
    unlinkSync: (p) => (counts.writes++, nodeIo.unlinkSync(p)),
  };
  return { io, counts };
}

function makePartitions(root: string, partitions: number): string[] {
  const dirs = Array.from({ length: partitions }, (_, i) => path.join(root, `topic-${Math.floor(i / 10)}-${i % 10}`));
  PartitionLog.open(dirs[0]!, DEFAULT_LOG_CONFIG).close();
  const names = fs.readdirSync(dirs[0]!);
  for (const dir of dirs.slice(1)) {
    fs.mkdirSync(dir);
    for (const name of names) fs.copyFileSync(path.join(dirs[0]!, name), path.join(dir, name));
  }
  return dirs;
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

export function run(options: { partitions?: number; rounds?: number; dir?: string } = {}): PartitionOpenResult {
  const partitions = options.partitions ?? 10_000;
  const rounds = options.rounds ?? 5;
  const root = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), 'brook-partition-open-'));
  try {
    const dirs = makePartitions(root, partitions);
    const { io, counts } = countingIo();
    const files = new FdCache(filesPerThread(1));
    const openSec: number[] = [];
    const closeSec: number[] = [];
    const listSec: number[] = [];
    let held = 0;
    const timeList = () => {
      const start = process.hrtime.bigint();
      for (const dir of dirs) fs.readdirSync(dir);
      listSec.push(Number(process.hrtime.bigint() - start) / 1e9);
    };
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) timeList();
      const fdsBefore = openFds();
      let start = process.hrtime.bigint();
      const logs = dirs.map((dir) => PartitionLog.open(dir, DEFAULT_LOG_CONFIG, { io, files }));
      openSec.push(Number(process.hrtime.bigint() - start) / 1e9);
      held = Math.max(held, openFds() - fdsBefore);
      start = process.hrtime.bigint();
      for (const log of logs) log.close();
      closeSec.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (round % 2 === 1) timeList();
    }
    return {
      partitions,
      rounds,
      openSec: round(median(openSec), 3),
      closeSec: round(median(closeSec), 3),
      listDirSec: round(median(listSec), 3),
      openToListRatio: round(median(openSec) / median(listSec), 1),
      writes: counts.writes,
      fsyncs: counts.fsyncs,
      descriptorsHeldWhileOpen: held,
      machine: machineInfo(),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const dirAt = args.indexOf('--dir');
  const dir = dirAt >= 0 ? args[dirAt + 1] : undefined;
  const count = args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--dir');
  const result = run({ partitions: count === undefined ? undefined : Number(count), dir });
  console.log(`partition open/close bench — ${describeMachine(result.machine)}`);
  console.log(result);
  console.log(`open ${result.partitions} clean partitions: ${result.openSec} s (${result.openToListRatio}x listing their directories); close: ${result.closeSec} s (goal < 5 s); writes ${result.writes}, fsyncs ${result.fsyncs}, descriptors held ${result.descriptorsHeldWhileOpen}`);
}
