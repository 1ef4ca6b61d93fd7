/**
 * `brook streams run`'s live view: from two status snapshots, the records per second, and per
 * task its state, lag and state size, as lines for a terminal (redrawn in place) and as one JSON
 * object per interval for scripts (--json).
 */
import type { AppStatus } from '../runtime/status.js';

export interface Rates {
  recordsPerSec: number;
}

export function ratesOf(previous: AppStatus | null, current: AppStatus, elapsedMs: number): Rates {
  if (previous === null || elapsedMs <= 0) return { recordsPerSec: 0 };
  return { recordsPerSec: Math.max(0, ((current.totals.processedRecords - previous.totals.processedRecords) * 1000) / elapsedMs) };
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The live view's lines: a summary, then one line per task (at most `maxTasks`). */
export function statusLines(status: AppStatus, rates: Rates, maxTasks = 20): string[] {
  const { totals } = status;
  const lines = [
    `${status.applicationId}  ${status.state}  ${count(rates.recordsPerSec)} records/s  processed ${count(totals.processedRecords)}  lag ${count(totals.lag)}  ` +
      `state ${bytes(totals.stateBytes)}  tasks ${totals.tasks}  threads ${status.threads.length}`,
  ];
  const tasks = status.threads.flatMap((t) => t.tasks);
  for (const task of tasks.slice(0, maxTasks)) {
    const lag = task.partitions.reduce((s, p) => s + Math.max(0, p.lag), 0);
    const restore = task.state === 'restoring' ? `  restoring ${count(task.restore.restoredRecords)}/${count(task.restore.totalRecords)}` : '';
    lines.push(`  task ${task.taskId.padEnd(6)} thread ${task.thread}  ${task.state.padEnd(9)} lag ${count(lag).padStart(8)}  processed ${count(task.processedRecords).padStart(10)}  ` +
      `state ${bytes(task.stateBytes).padStart(9)}${task.droppedRecords > 0 ? `  dropped ${count(task.droppedRecords)}` : ''}${restore}`);
  }
  if (tasks.length > maxTasks) lines.push(`  ... ${tasks.length - maxTasks} more tasks`);
  for (const thread of status.threads) if (thread.error !== null) lines.push(`  thread ${thread.thread} stopped: ${thread.error}`);
  return lines;
}

/** Redraws a block of lines in place on a terminal. */
export class LiveBlock {
  private drawnLines = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  draw(lines: string[]): void {
    const columns = this.stream.columns || 120; // 0 on a terminal with no size set (script, some CI)
    let out = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F` : '';
    for (const line of lines) out += `\x1b[2K${line.slice(0, Math.max(10, columns - 1))}\n`;
    for (let extra = lines.length; extra < this.drawnLines; extra++) out += '\x1b[2K\n';
    this.stream.write(out);
    this.drawnLines = Math.max(lines.length, this.drawnLines);
  }
}
