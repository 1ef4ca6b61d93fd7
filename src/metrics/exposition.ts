/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: a scrape appends
 * families to one ExpositionWriter, which writes them as UTF-8. docs/benchmarks.md has the race
 * against prom-client that chose this (a scrape of 10,000 partitions renders every time, and
 * per-principal filtering rules out one shared registry).
 *
 *   # HELP brook_partition_log_end_offset The offset the next appended record gets.
 *   # TYPE brook_partition_log_end_offset gauge
 *   brook_partition_log_end_offset{topic="logs",partition="0"} 1234
 *
 * Every sample of a family follows its # TYPE line (the format requires one group per family).
 * Lines are encoded to UTF-8 every ~64 K characters, so a 10,000-partition scrape (~90,000 lines)
 * never holds all its line strings at once (measured: an array of every line joined at the end
 * spent most of a scrape in old-generation GC and the join; one Buffer.write per line spent it in
 * the call overhead).
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

/** Lines are gathered into a string of about this many UTF-16 units, then encoded as one chunk. */
const CHUNK_CHARS = 64 * 1024;

export class ExpositionWriter {
  private readonly chunks: Buffer[] = [];
  private pending = '';

  /** Appends `text` (one or more whole lines). */
  private line(text: string): void {
    this.pending += text;
    if (this.pending.length >= CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    this.chunks.push(Buffer.from(this.pending, 'utf8'));
    this.pending = '';
  }

  /** Starts a family: its HELP and TYPE lines. The family's samples must follow before the next family. */
  family(name: string, type: MetricType, help: string): this {
    this.line(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`);
    return this;
  }

  /** One sample; `labels` is a rendered label set (labelSet) so callers render each set once per scrape. */
  sample(name: string, labels: string, value: number): this {
    this.line(`${name}${labels} ${formatValue(value)}\n`);
    return this;
  }

  /**
   * The first `count` samples of one family, `labels[i]` with `values[i]`: the per-partition
   * families' loop, appending piece by piece (no template string per line: measured ~15% less
   * time per line than sample()).
   */
  samples(name: string, labels: readonly string[], values: ArrayLike<number>, count: number): this {
    let pending = this.pending;
    for (let i = 0; i < count; i++) {
      pending += name;
      pending += labels[i]!;
      pending += ' ';
      pending += formatValue(values[i]!);
      pending += '\n';
      if (pending.length >= CHUNK_CHARS) {
        this.chunks.push(Buffer.from(pending, 'utf8'));
        pending = '';
      }
    }
    this.pending = pending;
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
      this.line(`${name}_bucket{${prefix}le="${formatValue(upperBounds[i]!)}"} ${cumulative}\n`);
    }
    this.line(`${name}_bucket{${prefix}le="+Inf"} ${count}\n`);
    const braces = labels === '' ? '' : `{${labels}}`;
    this.line(`${name}_sum${braces} ${formatValue(sum)}\n${name}_count${braces} ${count}\n`);
    return this;
  }

  /** The exposition as UTF-8 bytes: every line, each ending with a line feed. */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks, Buffer.from(this.pending, 'utf8')]);
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}
