/**
 * A hand-written SVG line chart (no dependency): one or more panels stacked over a shared x axis,
 * each with its own linear y axis from 0. x is either categorical (evenly spaced, e.g. 1, 2, 4, 8)
 * or log-scale (positions by log2, so 1 to 4,096 spreads by doublings and uneven steps show as
 * such). One polyline per series, a legend per panel, gridlines.
 */

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  /** y per x value, in the same order as `xValues`; null leaves a gap. */
  values: ReadonlyArray<number | null>;
}

export interface ChartPanel {
  title?: string;
  yLabel: string;
  series: readonly ChartSeries[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  xValues: readonly number[];
  /** Position x values by their logarithm instead of evenly. */
  logX?: boolean;
  /** One panel: give `yLabel` and `series`; several: `panels`. */
  yLabel?: string;
  series?: readonly ChartSeries[];
  panels?: readonly ChartPanel[];
}

const WIDTH_PX = 760;
const PANEL_HEIGHT_PX = 330;
const MARGIN = { left: 70, right: 200, top: 40, bottom: 50 };
const PANEL_GAP_PX = 40;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" axis maximum and step: 1, 2 or 5 times a power of ten, about five ticks. */
function niceAxis(maxValue: number): { max: number; step: number } {
  if (!(maxValue > 0)) return { max: 1, step: 0.2 };
  const rough = maxValue / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  return { max: Math.ceil(maxValue / step) * step, step };
}

function formatTick(value: number): string {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(Number(value.toPrecision(4)));
}

/** x pixel of the i-th x value, evenly spaced or by log2 of the value. */
function xScale(chart: LineChart, plotW: number): (i: number) => number {
  const xs = chart.xValues;
  if (xs.length <= 1) return () => MARGIN.left + plotW / 2;
  if (chart.logX === true && xs.every((x) => x > 0)) {
    const lo = Math.log2(xs[0]!);
    const span = Math.log2(xs[xs.length - 1]!) - lo || 1;
    return (i) => MARGIN.left + ((Math.log2(xs[i]!) - lo) / span) * plotW;
  }
  return (i) => MARGIN.left + (i / (xs.length - 1)) * plotW;
}

function renderPanel(out: string[], chart: LineChart, panel: ChartPanel, top: number, xAt: (i: number) => number, plotW: number, plotH: number): void {
  const all = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const axis = niceAxis(Math.max(0, ...all));
  const yAt = (v: number) => top + plotH - (v / axis.max) * plotH;
  if (panel.title !== undefined) out.push(`<text x="${MARGIN.left}" y="${top - 8}" font-size="13">${escapeXml(panel.title)}</text>`);
  for (let v = 0; v <= axis.max + axis.step / 2; v += axis.step) {
    const y = yAt(v).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`);
  }
  chart.xValues.forEach((x, i) => {
    out.push(`<line x1="${xAt(i).toFixed(1)}" y1="${top}" x2="${xAt(i).toFixed(1)}" y2="${top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${xAt(i).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${x}</text>`);
  });
  out.push(`<rect x="${MARGIN.left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`);
  panel.series.forEach((series, index) => {
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const points = series.values
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
    if (!series.dashed) {
      for (const p of points) {
        const [cx, cy] = p.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${series.color}"/>`);
      }
    }
    const ly = top + 10 + index * 20;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(series.label)}</text>`);
  });
}

export function renderLineChartSvg(chart: LineChart): string {
  const panels: readonly ChartPanel[] = chart.panels ?? [{ yLabel: chart.yLabel ?? '', series: chart.series ?? [] }];
  const plotW = WIDTH_PX - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT_PX - MARGIN.top - MARGIN.bottom;
  const heightPx = MARGIN.top + panels.length * (plotH + 24) + (panels.length - 1) * PANEL_GAP_PX + MARGIN.bottom;
  const xAt = xScale(chart, plotW);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${heightPx}" viewBox="0 0 ${WIDTH_PX} ${heightPx}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${WIDTH_PX / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`);
  panels.forEach((panel, i) => {
    const top = MARGIN.top + 12 + i * (plotH + 24 + PANEL_GAP_PX);
    renderPanel(out, chart, panel, top, xAt, plotW, plotH);
  });
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${heightPx - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
