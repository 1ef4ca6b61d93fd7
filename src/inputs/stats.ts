/**
 * What each input has done, counted: records read and acknowledged, and every way a record did
 * not arrive as sent (truncated, skipped, refused by the log, dropped before it was read). Losses
 * are never silent: the server log reports changed loss counters (`InputReporter`), and
 * `GET /inputs` on the HTTP listener answers them all as JSON.
 *
 * Main thread only; owned by the input that counts.
 */

export interface InputCounts {
  /** Records (messages, lines, events) read from the source. */
  receivedCount: number;
  /** Records the log acknowledged (acks=all). */
  acknowledgedCount: number;
  /** Records the log refused for good (MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, ...). */
  failedCount: number;
  /** Lines longer than max_line_bytes, kept cut with a `brook.truncated` header. */
  truncatedCount: number;
  /** Lines longer than max_line_bytes, skipped (max_line_policy skip). */
  skippedCount: number;
  /** Messages that did not parse, kept raw with a `brook.parse-error` header. */
  unparsedCount: number;
  /** UDP datagrams the kernel dropped because the socket's receive buffer was full. */
  droppedKernelCount: number;
  /** UDP datagrams dropped because the log pushed back and the producer's buffer was full. */
  droppedBackpressureCount: number;
}

/** Counters whose change the server log reports: each one is data that did not arrive whole. */
const LOSS_COUNTERS: ReadonlyArray<keyof InputCounts> = ['failedCount', 'skippedCount', 'truncatedCount', 'droppedKernelCount', 'droppedBackpressureCount'];

export class InputStats {
  readonly counts: InputCounts = {
    receivedCount: 0, acknowledgedCount: 0, failedCount: 0, truncatedCount: 0, skippedCount: 0,
    unparsedCount: 0, droppedKernelCount: 0, droppedBackpressureCount: 0,
  };
  private reported: InputCounts = { ...this.counts };

  /** `name` says what the input is, e.g. `syslog udp://127.0.0.1:5514`. */
  constructor(public name: string) {}

  /** The loss counters that grew since the last call, as `skippedCount +3 (total 5)` phrases. */
  takeLossChanges(): string[] {
    const changes: string[] = [];
    for (const counter of LOSS_COUNTERS) {
      const delta = this.counts[counter] - this.reported[counter];
      if (delta > 0) changes.push(`${counter} +${delta} (total ${this.counts[counter]})`);
    }
    this.reported = { ...this.counts };
    return changes;
  }

  toJSON(): { name: string } & InputCounts {
    return { name: this.name, ...this.counts };
  }
}

/**
 * Writes one server-log line per input whose losses grew, every `intervalMs` (and once more at
 * stop), so a flood that overflows a UDP socket shows up in the log while it happens.
 */
export class InputReporter {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stats: () => readonly InputStats[],
    private readonly log: (line: string) => void,
    intervalMs = 10_000,
  ) {
    this.timer = setInterval(() => this.report(), intervalMs);
    this.timer.unref();
  }

  report(): void {
    for (const stats of this.stats()) {
      const changes = stats.takeLossChanges();
      if (changes.length > 0) this.log(`${stats.name}: ${changes.join(', ')}`);
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.report();
  }
}
