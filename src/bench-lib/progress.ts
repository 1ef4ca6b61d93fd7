/**
 * A one-line progress bar on stderr, drawn only when stderr is a TTY (a redirected or piped
 * stderr gets nothing, so logs and test output stay clean). Owned by one caller; not thread-safe.
 */
export class ProgressBar {
  private done = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly totalSteps: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled?: boolean,
  ) {
    this.enabled = enabled ?? this.stream.isTTY === true;
  }

  /** Marks one more step done and redraws with the label of what runs next. */
  tick(label: string): void {
    this.done = Math.min(this.totalSteps, this.done + 1);
    this.draw(label);
  }

  /** Redraws without advancing (the label of the step now running). */
  draw(label: string): void {
    if (!this.enabled) return;
    const widthChars = 30;
    const filled = this.totalSteps === 0 ? widthChars : Math.round((this.done / this.totalSteps) * widthChars);
    const bar = '#'.repeat(filled) + '-'.repeat(widthChars - filled);
    const columns = this.stream.columns ?? 100;
    const line = `[${bar}] ${this.done}/${this.totalSteps} ${label}`.slice(0, Math.max(10, columns - 1));
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Clears the line so the table that follows starts clean. */
  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}
