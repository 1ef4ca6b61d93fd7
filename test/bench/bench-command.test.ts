/**
 * Smoke test of `brook bench` (compiled dist/; run tsc first): a tiny run writes a JSON report of
 * the expected shape and an SVG chart next to it. No timing assertions.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { median, percentileSorted } from '../../src/bench-lib/stats.js';
import { renderLineChartSvg } from '../../src/bench-lib/svg-chart.js';
import { parseRedisBenchmarkCsv } from '../../src/bench-lib/redis-baseline.js';
import { svgPathFor } from '../../src/cli/commands/bench.js';
import { warmupMsFor } from '../../src/bench-lib/case-timing.js';
import { recordsPerBatchFor } from '../../src/bench-lib/partition-scaling.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `brook bench` through bin/brook once main.ts registers it; the benchmark's own entry (same command) until then. */
function benchArgv(): string[] {
  const help = execFileSync(process.execPath, [path.join(root, 'bin/brook'), '--help'], { encoding: 'utf8' });
  return /^\s+bench\b/m.test(help) ? [path.join(root, 'bin/brook'), 'bench'] : [path.join(root, 'dist/bench/macro/partition-scaling.js')];
}

describe('brook bench', () => {
  it('writes a JSON report with baseline, one row per partition count and size, latency and goals, and an SVG next to it', () => {
    dir = tempDir('brook-bench-test-');
    const json = path.join(dir, 'out.json');
    const stdout = execFileSync(process.execPath, [...benchArgv(), '--partitions', '1,2', '--record-sizes', '100', '--records', '2000',
      '--repetitions', '1', '--latency-seconds', '1', '--warmup', '0.2', '--json', json], { encoding: 'utf8', timeout: 240_000 });
    expect(stdout).toContain('PARTITIONS');
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.benchmark).toBe('partition-scaling');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.options.warmupMs).toBe(200);
    expect(report.baseline).toHaveLength(1);
    expect(report.results.map((r: { partitions: number }) => r.partitions)).toEqual([1, 2]);
    for (const row of report.results) {
      expect(row.produce.recordsPerSec).toBeGreaterThan(0);
      expect(row.consume.recordsPerSec).toBeGreaterThan(0);
      expect(row.produce.runsRecordsPerSec).toHaveLength(1);
      expect(row.rssMiB).toBeGreaterThan(0);
      expect(row.threads).toBeGreaterThan(0);
    }
    expect(report.latency[0].recordCount).toBe(10_000);
    expect(report.latencyMedian.p99Ms).toBeGreaterThanOrEqual(report.latencyMedian.p50Ms);
    expect(report.goals.length).toBeGreaterThan(0);
    const svg = fs.readFileSync(path.join(dir, 'out.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    // Two panels (produce, consume), each with the engine's line and the baseline's.
    expect(svg).toContain('produce (MB/s, median)');
    expect(svg).toContain('consume (MB/s, median)');
    expect(svg).toContain('100 B baseline');
    expect((svg.match(/<polyline /g) ?? []).length).toBe(4);
  }, 300_000);

  it.each([
    [['--partitions', '1,x'], 'comma-separated list of positive integers'],
    [['--warmup', '-1'], 'must be a number >= 0'],
    [['--warmup', 'soon'], 'must be a number >= 0'],
  ])('rejects %j with a one-line error before running anything', (flags, message) => {
    dir = tempDir('brook-bench-test-');
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [...benchArgv(), ...flags], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr);
      status = (err as { status: number }).status;
    }
    expect(status).not.toBe(0);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('bench helpers', () => {
  it('takes medians and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(sorted, 50)).toBe(50);
    expect(percentileSorted(sorted, 99)).toBe(99);
    expect(percentileSorted([], 50)).toBeNaN();
  });

  it('warms a case up for warmupMs per core\'s worth of worker threads, not of partitions', () => {
    // (partitions, warmupMs, workers, cores)
    expect(warmupMsFor(1, 1000, 2, 2)).toBe(1000);
    expect(warmupMsFor(2, 1000, 2, 2)).toBe(1000);
    expect(warmupMsFor(4096, 1000, 2, 2)).toBe(1000);
    expect(warmupMsFor(16, 1000, 16, 2)).toBe(8000);
    expect(warmupMsFor(4, 500, 16, 2)).toBe(1000);
    expect(warmupMsFor(3, 0, 2, 2)).toBe(0);
  });

  it('gives batches fewer records only when one per partition would pass the round budget', () => {
    expect(recordsPerBatchFor(1, 100)).toBe(1000);
    expect(recordsPerBatchFor(4096, 100)).toBe(1000);
    expect(recordsPerBatchFor(4096, 1024)).toBe(128);
    expect(recordsPerBatchFor(1_000_000, 1024)).toBe(1);
  });

  it('places the SVG next to the JSON', () => {
    expect(svgPathFor('/x/run.json')).toBe('/x/run.svg');
    expect(svgPathFor('/x/run')).toBe('/x/run.svg');
  });

  it('leaves a gap for a missing point and escapes labels', () => {
    const svg = renderLineChartSvg({ title: 'a<b', xLabel: 'x', yLabel: 'y', xValues: [1, 2, 4], series: [{ label: 'p&q', color: '#000', values: [1, null, 3] }] });
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('p&amp;q');
    expect((svg.match(/<circle /g) ?? []).length).toBe(2);
  });

  it('draws stacked panels, each on its own scale, over a log-scale x axis', () => {
    const svg = renderLineChartSvg({
      title: 't', xLabel: 'partitions', xValues: [1, 2, 4096], logX: true,
      panels: [
        { yLabel: 'produce', series: [{ label: 'p', color: '#000', values: [1, 2, 3] }] },
        { yLabel: 'consume', series: [{ label: 'c', color: '#111', values: [100, 200, 300] }] },
      ],
    });
    expect((svg.match(/fill="none" stroke="#444"/g) ?? []).length).toBe(2);
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].slice(0, 3).map((m) => Number(m[1]));
    // log2: 1 -> 0, 2 -> 1, 4096 -> 12, so 2 sits a twelfth of the way along, not half.
    expect((xs[1]! - xs[0]!) / (xs[2]! - xs[0]!)).toBeCloseTo(1 / 12, 3);
    // Each panel's top tick follows its own data: 3 and 300.
    expect(svg).toContain('>3<');
    expect(svg).toContain('>300<');
  });

  it('reads the rps of redis-benchmark --csv output', () => {
    const csv = '"test","rps","avg_latency_ms"\n"XADD s * v xx","626959.25","7.722"\n';
    expect(parseRedisBenchmarkCsv(csv)).toBeCloseTo(626959.25);
    expect(() => parseRedisBenchmarkCsv('garbage')).toThrow();
  });
});
