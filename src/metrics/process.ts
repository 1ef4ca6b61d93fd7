/**
 * The broker process: resident memory, V8 heap, event-loop delay, CPU, open file descriptors.
 * Names are the ones prom-client's default metrics use (process_*, nodejs_*), so existing Node.js
 * dashboards read them unchanged. Main thread; one per HTTP listener (it owns an event-loop
 * delay monitor: `close()` stops it).
 */
import fs from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ExpositionWriter } from './exposition.js';

/** Event-loop delay sampling period: 10 ms (prom-client's default) costs one timer tick per period. */
const EVENT_LOOP_RESOLUTION_MS = 10;
const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

export class ProcessMetrics {
  private readonly eventLoop: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  private readonly maxFds: number | null = readMaxFds();

  constructor() {
    this.eventLoop.enable();
  }

  /** Open descriptors: the entries of /proc/self/fd (Linux; null elsewhere). One readdir, no per-file work. */
  private async openFds(): Promise<number | null> {
    try {
      // The directory handle readdir opens is one of the entries.
      return (await fs.promises.readdir('/proc/self/fd')).length - 1;
    } catch {
      return null;
    }
  }

  /**
   * Writes the process families. The event-loop delay figures cover the time since the previous
   * scrape (the histogram is reset after each), as prom-client does.
   */
  async write(out: ExpositionWriter): Promise<void> {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const fds = await this.openFds();
    out.family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent, seconds.').sample('process_cpu_user_seconds_total', '', cpu.user / 1e6);
    out.family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent, seconds.').sample('process_cpu_system_seconds_total', '', cpu.system / 1e6);
    out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size, bytes.').sample('process_resident_memory_bytes', '', memory.rss);
    out.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, seconds.').sample('process_start_time_seconds', '', START_TIME_SECONDS);
    if (fds !== null) out.family('process_open_fds', 'gauge', 'Open file descriptors.').sample('process_open_fds', '', fds);
    if (this.maxFds !== null) out.family('process_max_fds', 'gauge', 'Maximum number of open file descriptors.').sample('process_max_fds', '', this.maxFds);
    out.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size, bytes.').sample('nodejs_heap_size_total_bytes', '', memory.heapTotal);
    out.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used, bytes.').sample('nodejs_heap_size_used_bytes', '', memory.heapUsed);
    out.family('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript (Buffers, SharedArrayBuffers), bytes.').sample('nodejs_external_memory_bytes', '', memory.external);
    const h = this.eventLoop;
    const seconds = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    out.family('nodejs_eventloop_lag_mean_seconds', 'gauge', 'Mean event-loop delay since the previous scrape, seconds.').sample('nodejs_eventloop_lag_mean_seconds', '', seconds(h.mean));
    out.family('nodejs_eventloop_lag_p50_seconds', 'gauge', 'Median event-loop delay since the previous scrape, seconds.').sample('nodejs_eventloop_lag_p50_seconds', '', seconds(h.percentile(50)));
    out.family('nodejs_eventloop_lag_p99_seconds', 'gauge', '99th percentile event-loop delay since the previous scrape, seconds.').sample('nodejs_eventloop_lag_p99_seconds', '', seconds(h.percentile(99)));
    out.family('nodejs_eventloop_lag_max_seconds', 'gauge', 'Largest event-loop delay since the previous scrape, seconds.').sample('nodejs_eventloop_lag_max_seconds', '', seconds(h.max));
    h.reset();
  }

  close(): void {
    this.eventLoop.disable();
  }
}

/** "Max open files" soft limit from /proc/self/limits, read once. */
function readMaxFds(): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}
