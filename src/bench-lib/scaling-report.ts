/**
 * The partition-scaling report: goals checked against the medians, the table printed on stdout,
 * and the SVG chart (throughput against partitions, one line per record size and direction).
 */
import type { BaselineRow, ScalingReport, ScalingRow } from './scaling-run.js';
import { renderLineChartSvg, type ChartSeries } from './svg-chart.js';
import { describeMachine, formatCount } from './stats.js';

export interface GoalCheck {
  goal: string;
  value: number | null;
  met: boolean | null;
  detail: string;
}

export type ScalingGoals = GoalCheck[];

const ONE_PARTITION_RATIO_GOAL = 0.8;
const PAST_PEAK_DROP_GOAL = 0.1;
/** The past-the-peak goal covers the partition counts up to this (more are reported, not judged). */
const PAST_PEAK_PARTITIONS_MAX = 16;
const LATENCY_P99_GOAL_MS = 2;

function onePartitionGoal(recordBytes: number, base: BaselineRow, rows: ScalingRow[]): GoalCheck {
  const one = rows.find((r) => r.partitions === 1);
  const goal = `${recordBytes} B: 1 partition produce >= ${ONE_PARTITION_RATIO_GOAL * 100}% of the single-threaded PartitionLog baseline`;
  if (one === undefined) return { goal, value: null, met: null, detail: 'no 1-partition case in this run' };
  const ratio = one.produce.recordsPerSec / base.produce.recordsPerSec;
  return { goal, value: Number(ratio.toFixed(3)), met: ratio >= ONE_PARTITION_RATIO_GOAL, detail: `${formatCount(one.produce.recordsPerSec)} / ${formatCount(base.produce.recordsPerSec)} records/s = ${(ratio * 100).toFixed(0)}%` };
}

/** Throughput rises to a peak, and every larger partition count stays within 10% of that peak. */
function scalingGoal(recordBytes: number, direction: 'produce' | 'consume', allRows: ScalingRow[]): GoalCheck {
  const rows = allRows.filter((r) => r.partitions <= PAST_PEAK_PARTITIONS_MAX);
  const goal = `${recordBytes} B ${direction}: past the peak (up to ${PAST_PEAK_PARTITIONS_MAX} partitions), aggregate throughput falls no more than ${PAST_PEAK_DROP_GOAL * 100}%`;
  if (rows.length < 2) return { goal, value: null, met: null, detail: 'fewer than two partition counts' };
  const values = rows.map((r) => r[direction].recordsPerSec);
  const peakIndex = values.indexOf(Math.max(...values));
  const after = values.slice(peakIndex);
  const worst = Math.min(...after) / values[peakIndex]!;
  const detail = `peak ${formatCount(values[peakIndex]!)} records/s at ${rows[peakIndex]!.partitions} partitions (x${(values[peakIndex]! / values[0]!).toFixed(2)} of ${rows[0]!.partitions}); ` +
    `lowest after it ${(worst * 100).toFixed(0)}% of the peak`;
  return { goal, value: Number(worst.toFixed(3)), met: worst >= 1 - PAST_PEAK_DROP_GOAL, detail };
}

export function evaluateGoals(baseline: BaselineRow[], results: ScalingRow[], latency: { p99Ms: number } | null): ScalingGoals {
  const goals: GoalCheck[] = [];
  for (const base of baseline) {
    const rows = results.filter((r) => r.recordBytes === base.recordBytes).sort((a, b) => a.partitions - b.partitions);
    goals.push(onePartitionGoal(base.recordBytes, base, rows));
    goals.push(scalingGoal(base.recordBytes, 'produce', rows));
    goals.push(scalingGoal(base.recordBytes, 'consume', rows));
  }
  if (latency !== null) {
    goals.push({ goal: `end-to-end p99 < ${LATENCY_P99_GOAL_MS} ms at a steady rate`, value: Number(latency.p99Ms.toFixed(3)), met: latency.p99Ms < LATENCY_P99_GOAL_MS, detail: `median p99 over repetitions ${latency.p99Ms.toFixed(3)} ms` });
  }
  return goals;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function formatScalingReport(report: ScalingReport): string {
  const out: string[] = [];
  out.push(`brook bench: partition scaling (median of ${report.options.repetitions} repetitions)\n`);
  out.push(`machine: ${describeMachine(report.machine)}\n\n`);
  const rows: string[][] = [];
  for (const base of report.baseline) {
    rows.push([`${base.recordBytes} B`, 'baseline', formatCount(base.produce.recordsPerSec), base.produce.megabytesPerSec.toFixed(1), '1.00',
      formatCount(base.consume.recordsPerSec), base.consume.megabytesPerSec.toFixed(1), '1.00']);
    for (const r of report.results.filter((x) => x.recordBytes === base.recordBytes)) {
      rows.push([`${r.recordBytes} B`, String(r.partitions), formatCount(r.produce.recordsPerSec), r.produce.megabytesPerSec.toFixed(1),
        (r.produce.recordsPerSec / base.produce.recordsPerSec).toFixed(2), formatCount(r.consume.recordsPerSec), r.consume.megabytesPerSec.toFixed(1),
        (r.consume.recordsPerSec / base.consume.recordsPerSec).toFixed(2)]);
    }
  }
  out.push(table(['RECORD', 'PARTITIONS', 'PRODUCE rec/s', 'MB/s', 'xBASE', 'CONSUME rec/s', 'MB/s', 'xBASE'], rows));
  out.push('baseline = PartitionLog.append / read of the same batches on one thread, no workers, same run\n');
  if (report.latencyMedian !== null && report.latency !== null) {
    const l = report.latency[0]!;
    out.push(`\nend-to-end latency at ${formatCount(l.recordsPerSec)} records/s: p50 ${report.latencyMedian.p50Ms.toFixed(3)} ms, p99 ${report.latencyMedian.p99Ms.toFixed(3)} ms (median of ${report.latency.length})\n`);
    out.push(`  (${l.method})\n`);
  }
  out.push('\ngoals:\n');
  for (const g of report.goals) out.push(`  [${g.met === null ? ' n/a ' : g.met ? ' met ' : 'MISSED'}] ${g.goal}: ${g.detail}\n`);
  return out.join('');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/**
 * Two panels, produce above consume (consume runs ~10x faster and would flatten produce on one
 * scale), each with its own y axis, over a log-scale partition axis (1 to 4,096 evenly by doublings).
 */
export function renderScalingSvg(report: ScalingReport): string {
  const partitions = [...new Set(report.results.map((r) => r.partitions))].sort((a, b) => a - b);
  const panel = (direction: 'produce' | 'consume') => {
    const series: ChartSeries[] = [];
    report.options.recordSizesBytes.forEach((recordBytes, index) => {
      const color = COLORS[index % COLORS.length]!;
      const at = (p: number) => report.results.find((r) => r.recordBytes === recordBytes && r.partitions === p);
      series.push({ label: `${recordBytes} B records`, color, values: partitions.map((p) => at(p)?.[direction].megabytesPerSec ?? null) });
      const base = report.baseline.find((b) => b.recordBytes === recordBytes);
      if (base !== undefined) series.push({ label: `${recordBytes} B baseline`, color, dashed: true, values: partitions.map(() => base[direction].megabytesPerSec) });
    });
    return { title: `${direction} (MB/s, median)`, yLabel: 'MB/s', series };
  };
  return renderLineChartSvg({
    title: `Brook aggregate throughput vs partitions (${report.machine.cores} cores, Node ${report.machine.node})`,
    xLabel: 'partitions (log scale)',
    xValues: partitions,
    logX: true,
    panels: [panel('produce'), panel('consume')],
  });
}
