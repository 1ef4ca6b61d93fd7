/**
 * Produce progress on stderr: a live line (only on a terminal and outside CI, where '\r' updates
 * would be noise in logs) and a one-line summary at the end.
 */
const LIVE_INTERVAL_MS = 1000;

export class Throughput {
  recordCount = 0;
  byteCount = 0;
  private readonly startedMs = Date.now();
  private finishedMs: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (stream.isTTY && !process.env.CI) {
      this.timer = setInterval(() => this.stream.write(`\r\x1b[K${this.describe()}`), LIVE_INTERVAL_MS);
      this.timer.unref();
    }
  }

  add(recordCount: number, byteCount: number): void {
    this.recordCount += recordCount;
    this.byteCount += byteCount;
  }

  /** Stops the clock and the live line, and returns the summary text. */
  finish(): string {
    this.finishedMs ??= Date.now();
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.stream.write('\r\x1b[K');
    }
    return this.describe();
  }

  /** Seconds from the start to finish() or now (at least 1 ms, so rates stay finite). */
  elapsedSeconds(): number {
    return Math.max(((this.finishedMs ?? Date.now()) - this.startedMs) / 1000, 0.001);
  }

  recordsPerSec(): number {
    return Math.round(this.recordCount / this.elapsedSeconds());
  }

  private describe(): string {
    if (this.recordCount === 0) return '0 records';
    const seconds = this.elapsedSeconds();
    return `${plural(this.recordCount, 'record')}, ${formatBytes(this.byteCount)} in ${seconds.toFixed(2)} s ` +
      `(${this.recordsPerSec()} records/s, ${formatBytes(this.byteCount / seconds)}/s)`;
  }
}

/** "1 record", "2 records", "0 records". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
