/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: a scrape appends
 * families to one ExpositionWriter and joins the lines once. docs/benchmarks.md has the race
 * against prom-client that chose this (a scrape of 10,000 partitions renders every time, and
 * per-principal filtering rules out one shared registry).
 *
 *   # HELP brook_partition_log_end_offset The offset the next appended record gets.
 *   # TYPE brook_partition_log_end_offset gauge
 *   brook_partition_log_end_offset{topic="logs",partition="0"} 1234
 *
 * Every sample of a family follows its # TYPE line (the format requires one group per family).
 * Not thread-safe; one writer per scrape.
 */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** Label values escape backslash, double quote and line feed (the format's three escapes). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `{a="x",b="y"}` from pairs, in the given order; '' for no labels. */
export function labelSet(labels: Record<string, string | number>): string {
  const parts: string[] = [];
  for (const name in labels) parts.push(`${name}="${escapeLabelValue(String(labels[name]))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Go's strconv float rendering as Prometheus reads it: NaN, +Inf, -Inf, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export class ExpositionWriter {
  private readonly lines: string[] = [];

  /** Starts a family: its HELP and TYPE lines. The family's samples must follow before the next family. */
  family(name: string, type: MetricType, help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** One sample; `labels` is a rendered label set (labelSet) so callers render each set once per scrape. */
  sample(name: string, labels: string, value: number): this {
    this.lines.push(`${name}${labels} ${formatValue(value)}`);
    return this;
  }

  /**
   * A histogram's samples: cumulative `_bucket` lines for each upper bound and +Inf, then `_sum`
   * and `_count`. `labels` is a label list without braces ('' or `api="Produce"`).
   */
  histogram(name: string, labels: string, upperBounds: readonly number[], bucketCounts: ArrayLike<number>, sum: number, count: number): this {
    const prefix = labels === '' ? '' : `${labels},`;
    let cumulative = 0;
    for (let i = 0; i < upperBounds.length; i++) {
      cumulative += bucketCounts[i]!;
      this.lines.push(`${name}_bucket{${prefix}le="${formatValue(upperBounds[i]!)}"} ${cumulative}`);
    }
    this.lines.push(`${name}_bucket{${prefix}le="+Inf"} ${count}`);
    const braces = labels === '' ? '' : `{${labels}}`;
    this.lines.push(`${name}_sum${braces} ${formatValue(sum)}`, `${name}_count${braces} ${count}`);
    return this;
  }

  /** The exposition: every line, each ending with a line feed. */
  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
