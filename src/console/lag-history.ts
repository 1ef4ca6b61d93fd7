/**
 * Recent lag per group partition, for the sparklines: every time the console or a /metrics scrape
 * computes a group's lag, the values are recorded here (so a Prometheus scraping every 15 s fills
 * the sparklines even while nobody has the console open), at most one sample per partition per
 * MIN_SPACING_MS, the last SAMPLES_PER_PARTITION kept: samples are as far apart as the views and
 * scrapes that made them. Bounded: at most MAX_SERIES series; the least recently updated go first.
 * Main thread; one per HTTP listener (http/observability.ts), shared by the console and /metrics.
 */
import type { GroupLagView } from '../metrics/group-lag.js';

const SAMPLES_PER_PARTITION = 60;
const MIN_SPACING_MS = 900;
const MAX_SERIES = 10_000;

interface Series {
  values: number[];
  lastMs: number;
}

export class LagHistory {
  private readonly series = new Map<string, Series>();

  private static key(group: string, topic: string, partition: number): string {
    return `${group}\u0000${topic}\u0000${partition}`;
  }

  record(view: GroupLagView, nowMs = Date.now()): void {
    for (const p of view.partitions) {
      if (p.lag === null) continue;
      const key = LagHistory.key(view.groupId, p.topic, p.partition);
      let series = this.series.get(key);
      if (series === undefined) {
        series = { values: [], lastMs: 0 };
      } else {
        if (nowMs - series.lastMs < MIN_SPACING_MS) continue;
        this.series.delete(key); // re-inserted below: Map order is then least recently updated first
      }
      series.values.push(p.lag);
      if (series.values.length > SAMPLES_PER_PARTITION) series.values.shift();
      series.lastMs = nowMs;
      this.series.set(key, series);
      if (this.series.size > MAX_SERIES) this.series.delete(this.series.keys().next().value!);
    }
  }

  values(group: string, topic: string, partition: number): readonly number[] {
    return this.series.get(LagHistory.key(group, topic, partition))?.values ?? [];
  }
}
