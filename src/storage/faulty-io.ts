/**
 * A seeded fault injector around another FileIo, in the spirit of Redpanda's and TigerBeetle's
 * storage fault tests. It can fail chosen or random write/fsync calls with EIO or ENOSPC, tear a
 * write (write a prefix of the bytes, then fail), add latency, and simulate a power loss:
 * `simulateCrash()` forgets every byte not yet fsynced, keeping a random prefix of the unsynced
 * tail (a torn page), from a shadow of synced lengths per file.
 *
 * Not thread-safe; owned by the test that made it. The shadow models append-only files, which is
 * how storage writes (small metadata files are replaced whole by rename). It is kept per file, not
 * per descriptor: an FdCache may close a file's descriptor and reopen it, and bytes written through
 * the first are still lost by a crash unless an fsync on either made them durable.
 */
import type { FileIo } from './io.js';

export type FaultCode = 'EIO' | 'ENOSPC';
export type FaultOp = 'write' | 'fsync';

export interface FaultyIoOptions {
  seed: number;
  /** Probability in [0, 1] that a write / fsync call fails. */
  writeFailRate?: number;
  fsyncFailRate?: number;
  /** When a write fails, write a random prefix of its bytes first (a torn write). */
  tornWrites?: boolean;
  /** Error code of injected failures (default EIO). */
  errorCode?: FaultCode;
  /** Milliseconds added to every write and fsync. */
  latencyMs?: number;
  /** Only these paths (substring match) get faults; default all. */
  pathFilter?: (path: string) => boolean;
}

interface FileShadow {
  path: string;
  syncedBytes: number;
}

export class FaultyIo implements FileIo {
  private state: number;
  private readonly fdPaths = new Map<number, string>();
  /**
   * Descriptors a simulated crash killed: every use fails with EBADF until their owner closes
   * them. They stay open in the inner io until then, so their numbers are not reused for other
   * files while an owner (an FdCache) still holds them.
   */
  private readonly deadFds = new Set<number>();
  private readonly shadows = new Map<string, FileShadow>();
  private readonly queued: { op: FaultOp; code: FaultCode; afterCalls: number }[] = [];
  private faultsEnabled = true;
  readonly counts = { write: 0, fsync: 0, injected: 0 };

  constructor(
    private readonly inner: FileIo,
    private readonly options: FaultyIoOptions,
  ) {
    this.state = options.seed >>> 0 || 1;
  }

  /** Fails the `afterCalls`-th next call of `op` (0 = the very next one). */
  failNext(op: FaultOp, code: FaultCode = 'EIO', afterCalls = 0): void {
    this.queued.push({ op, code, afterCalls });
  }

  /** Stops all injected faults (queued and random) until `enableFaults()`. */
  disableFaults(): void {
    this.faultsEnabled = false;
    this.queued.length = 0;
  }

  enableFaults(): void {
    this.faultsEnabled = true;
  }

  /** A deterministic random number in [0, 1) from the seed (mulberry32). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Power loss: every file written through this io loses its unsynced tail except a random prefix
   * of it, and every open descriptor dies (EBADF until closed). Reopen the log afterwards.
   */
  simulateCrash(): void {
    for (const fd of this.fdPaths.keys()) this.deadFds.add(fd);
    this.fdPaths.clear();
    for (const shadow of this.shadows.values()) {
      if (!this.inner.existsSync(shadow.path)) continue;
      const fd = this.inner.openSync(shadow.path, 'r+');
      try {
        const size = this.inner.fstatSizeSync(fd);
        if (size > shadow.syncedBytes) {
          const kept = shadow.syncedBytes + Math.floor(this.random() * (size - shadow.syncedBytes + 1));
          this.inner.ftruncateSync(fd, kept);
          shadow.syncedBytes = kept;
        }
      } finally {
        this.inner.closeSync(fd);
      }
    }
  }

  openSync(path: string, flags: string): number {
    const existed = this.inner.existsSync(path);
    const fd = this.inner.openSync(path, flags);
    this.fdPaths.set(fd, path);
    if (!this.shadows.has(path)) {
      // Bytes already in a file we did not write count as durable; a new file has none yet.
      const size = existed && !flags.startsWith('w') ? this.inner.fstatSizeSync(fd) : 0;
      this.shadows.set(path, { path, syncedBytes: size });
    }
    return fd;
  }

  closeSync(fd: number): void {
    this.fdPaths.delete(fd);
    this.deadFds.delete(fd);
    this.inner.closeSync(fd);
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number {
    this.checkAlive(fd);
    this.counts.write++;
    this.delay();
    const fault = this.takeFault('write', fd);
    if (fault !== null) {
      if (this.options.tornWrites && length > 1) {
        const prefix = Math.floor(this.random() * length);
        if (prefix > 0) this.inner.writeSync(fd, buf, offset, prefix, position);
      }
      throw ioError(fault, 'write');
    }
    return this.inner.writeSync(fd, buf, offset, length, position);
  }

  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    this.checkAlive(fd);
    return this.inner.readSync(fd, buf, offset, length, position);
  }

  fsyncSync(fd: number): void {
    this.checkAlive(fd);
    this.counts.fsync++;
    this.delay();
    const fault = this.takeFault('fsync', fd);
    if (fault !== null) throw ioError(fault, 'fsync');
    this.inner.fsyncSync(fd);
    const path = this.fdPaths.get(fd);
    const shadow = path === undefined ? undefined : this.shadows.get(path);
    if (shadow) shadow.syncedBytes = this.inner.fstatSizeSync(fd);
  }

  ftruncateSync(fd: number, length: number): void {
    this.checkAlive(fd);
    this.inner.ftruncateSync(fd, length);
    const path = this.fdPaths.get(fd);
    const shadow = path === undefined ? undefined : this.shadows.get(path);
    if (shadow && shadow.syncedBytes > length) shadow.syncedBytes = length;
  }

  fstatSizeSync(fd: number): number {
    this.checkAlive(fd);
    return this.inner.fstatSizeSync(fd);
  }

  renameSync(from: string, to: string): void {
    this.inner.renameSync(from, to);
    const shadow = this.shadows.get(from);
    this.shadows.delete(from);
    if (shadow) this.shadows.set(to, { path: to, syncedBytes: shadow.syncedBytes });
    else this.shadows.delete(to);
  }

  unlinkSync(path: string): void {
    this.inner.unlinkSync(path);
    this.shadows.delete(path);
  }

  readdirSync(path: string): string[] {
    return this.inner.readdirSync(path);
  }

  mkdirSync(path: string): void {
    this.inner.mkdirSync(path);
  }

  rmSync(path: string): void {
    this.inner.rmSync(path);
    for (const key of [...this.shadows.keys()]) if (key.startsWith(path)) this.shadows.delete(key);
  }

  existsSync(path: string): boolean {
    return this.inner.existsSync(path);
  }

  fileIdSync(fd: number): string {
    this.checkAlive(fd);
    return this.inner.fileIdSync(fd);
  }

  pathIdSync(path: string): string | null {
    return this.inner.pathIdSync(path);
  }

  statSizeSync(path: string): number | null {
    return this.inner.statSizeSync === undefined ? (this.inner.existsSync(path) ? fileSizeViaFd(this.inner, path) : null) : this.inner.statSizeSync(path);
  }

  fsyncDirSync(path: string): void {
    this.inner.fsyncDirSync(path);
  }

  private checkAlive(fd: number): void {
    if (this.deadFds.has(fd)) throw Object.assign(new Error('EBADF: bad file descriptor (killed by a simulated crash)'), { code: 'EBADF', errno: -9 });
  }

  private takeFault(op: FaultOp, fd: number): FaultCode | null {
    if (!this.faultsEnabled) return null;
    const path = this.fdPaths.get(fd) ?? '';
    if (this.options.pathFilter && !this.options.pathFilter(path)) return null;
    const index = this.queued.findIndex((q) => q.op === op);
    if (index >= 0) {
      const queued = this.queued[index]!;
      if (queued.afterCalls > 0) {
        queued.afterCalls--;
      } else {
        this.queued.splice(index, 1);
        this.counts.injected++;
        return queued.code;
      }
    }
    const rate = op === 'write' ? this.options.writeFailRate : this.options.fsyncFailRate;
    if (rate !== undefined && rate > 0 && this.random() < rate) {
      this.counts.injected++;
      return this.options.errorCode ?? 'EIO';
    }
    return null;
  }

  private delay(): void {
    const ms = this.options.latencyMs ?? 0;
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}

function fileSizeViaFd(io: FileIo, path: string): number {
  const fd = io.openSync(path, 'r');
  try {
    return io.fstatSizeSync(fd);
  } finally {
    io.closeSync(fd);
  }
}

function ioError(code: FaultCode, op: string): Error {
  const text = code === 'EIO' ? 'i/o error' : 'no space left on device';
  return Object.assign(new Error(`${code}: ${text}, ${op} (injected)`), { code, errno: code === 'EIO' ? -5 : -28 });
}
