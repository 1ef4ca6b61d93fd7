/**
 * A hand-written SVG line chart (no dependency): x is categorical (e.g. partition counts 1, 2,
 * 4, 8, 16 evenly spaced), y is linear from 0. One polyline per series, a legend, gridlines.
 */

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  /** y per x category, in the same order as `xValues`; null leaves a gap. */
  values: ReadonlyArray<number | null>;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  xValues: readonly number[];
  series: readonly ChartSeries[];
}

const WIDTH_PX = 760;
const HEIGHT_PX = 440;
const MARGIN = { left: 70, right: 200, top: 40, bottom: 50 };

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

export function renderLineChartSvg(chart: LineChart): string {
  const plotW = WIDTH_PX - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT_PX - MARGIN.top - MARGIN.bottom;
  const all = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const axis = niceAxis(Math.max(0, ...all));
  const xAt = (i: number) => MARGIN.left + (chart.xValues.length <= 1 ? plotW / 2 : (i / (chart.xValues.length - 1)) * plotW);
  const yAt = (v: number) => MARGIN.top + plotH - (v / axis.max) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${HEIGHT_PX}" viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${WIDTH_PX / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`);
  for (let v = 0; v <= axis.max + axis.step / 2; v += axis.step) {
    const y = yAt(v).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`);
  }
  chart.xValues.forEach((x, i) => {
    out.push(`<line x1="${xAt(i).toFixed(1)}" y1="${MARGIN.top}" x2="${xAt(i).toFixed(1)}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${xAt(i).toFixed(1)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${x}</text>`);
  });
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT_PX - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((series, index) => {
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const points = series.values
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
    for (const p of points) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${series.color}"/>`);
    }
    const ly = MARGIN.top + 10 + index * 20;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(series.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
