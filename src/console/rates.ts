/**
 * Throughput history for the console's "records/s now" and live charts: once a second, each
 * topic's traffic totals (TrafficCounters, summed per topic as they are counted) go into a ring of
 * the last HISTORY_SAMPLES samples. Work per tick is one read per topic, never per partition.
 * Runs only while the HTTP listener is up (its timer is unref'd and stopped on close).
 * Main thread; owned by the console routes.
 */
import type { MetricsBroker } from '../metrics/source.js';

export const SAMPLE_INTERVAL_MS = 1000;
export const HISTORY_SAMPLES = 120;
/** "Now" is the rate over the last few samples: smooth enough to read, recent enough to matter. */
const NOW_WINDOW_SAMPLES = 3;

export interface TrafficSample {
  timeMs: number;
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

export interface Rates {
  recordsInPerSec: number;
  bytesInPerSec: number;
  recordsOutPerSec: number;
  bytesOutPerSec: number;
}

export const NO_RATES: Rates = { recordsInPerSec: 0, bytesInPerSec: 0, recordsOutPerSec: 0, bytesOutPerSec: 0 };

export function rateBetween(a: TrafficSample, b: TrafficSample): Rates {
  const seconds = (b.timeMs - a.timeMs) / 1000;
  if (seconds <= 0) return NO_RATES;
  // A topic deleted and created again restarts its counters: never report a negative rate.
  const per = (x: number, y: number) => Math.max(0, (y - x) / seconds);
  return {
    recordsInPerSec: per(a.recordsIn, b.recordsIn),
    bytesInPerSec: per(a.bytesIn, b.bytesIn),
    recordsOutPerSec: per(a.recordsOut, b.recordsOut),
    bytesOutPerSec: per(a.bytesOut, b.bytesOut),
  };
}

export class RateSampler {
  private readonly history = new Map<string, TrafficSample[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly broker: MetricsBroker) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  private sample(): void {
    const timeMs = Date.now();
    const live = new Set<string>();
    for (const topic of this.broker.topics()) {
      live.add(topic.name);
      let samples = this.history.get(topic.name);
      if (samples === undefined) this.history.set(topic.name, (samples = []));
      samples.push({ timeMs, ...this.broker.traffic.topic(topic.name) });
      if (samples.length > HISTORY_SAMPLES) samples.shift();
    }
    for (const name of this.history.keys()) if (!live.has(name)) this.history.delete(name);
  }

  /** The topic's samples, oldest first (empty for an unknown topic). */
  samples(topic: string): readonly TrafficSample[] {
    return this.history.get(topic) ?? [];
  }

  /** Rates over the last few seconds, from the counters now (so a burst shows at once). */
  now(topic: string): Rates {
    const samples = this.samples(topic);
    if (samples.length === 0) return NO_RATES;
    const from = samples[Math.max(0, samples.length - NOW_WINDOW_SAMPLES)]!;
    return rateBetween(from, { timeMs: Date.now(), ...this.broker.traffic.topic(topic) });
  }

  /** Per-second rates between consecutive samples, oldest first: the live chart's points. */
  series(topic: string): (Rates & { timeMs: number })[] {
    const samples = this.samples(topic);
    return samples.slice(1).map((s, i) => ({ timeMs: s.timeMs, ...rateBetween(samples[i]!, s) }));
  }

  close(): void {
    clearInterval(this.timer);
  }
}
