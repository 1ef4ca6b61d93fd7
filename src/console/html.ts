/**
 * Server-side HTML for the console: a tagged template that escapes every interpolated value
 * (so topic names, keys and values from the log can never inject markup), the page layout, and a
 * few formatting helpers. The pages are complete without JavaScript; console.js only adds live
 * updates on top. Main thread; pure functions.
 */
import type http from 'node:http';

/** Markup that is already safe (built by `html`); anything else interpolated is escaped. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(text);
}

/** A path with each segment percent-encoded: `path('/console/topics', name)`. */
export function path(...segments: (string | number)[]): string {
  return segments.map((s, i) => (i === 0 ? String(s) : encodeURIComponent(String(s)))).join('/');
}

export function formatBytes(bytes: number): string {
  if (bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatRate(perSecond: number): string {
  if (perSecond < 10) return perSecond.toFixed(perSecond === 0 ? 0 : 1);
  if (perSecond < 10_000) return Math.round(perSecond).toLocaleString('en-US');
  return `${(perSecond / 1000).toFixed(1)}k`;
}

/** retention.ms as people read it: "7 d", "12 h", "forever" for -1. */
export function formatMs(ms: string | undefined): string {
  const value = Number(ms);
  if (ms === undefined || !Number.isFinite(value)) return '—';
  if (value < 0) return 'forever';
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's']];
  for (const [size, name] of units) if (value >= size && value % size === 0) return `${value / size} ${name}`;
  return `${value} ms`;
}

/** A sparkline of `values` as inline SVG (the group page's lag trend; console.js draws the same). */
export function sparkline(values: readonly number[], width = 120, height = 24): SafeHtml {
  if (values.length < 2) return html`<svg class="spark" width="${width}" height="${height}" role="img" aria-label="not enough samples yet"></svg>`;
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return html`<svg class="spark" width="${width}" height="${height}" role="img" aria-label="lag trend, last ${values.length} samples"><polyline points="${points}"/></svg>`;
}

export interface Layout {
  title: string;
  /** Which top-level section is current: 'topics' or 'groups'. */
  section: 'topics' | 'groups';
  principal: string;
  body: SafeHtml;
}

export function layout({ title, section, principal, body }: Layout): SafeHtml {
  const nav = (name: Layout['section'], href: string, label: string) =>
    html`<a href="${href}"${new SafeHtml(section === name ? ' aria-current="page"' : '')}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Brook</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<header><a class="brand" href="/">Brook</a><nav>${nav('topics', '/', 'Topics')}${nav('groups', '/console/groups', 'Consumer groups')}</nav><span class="who">${principal}</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function sendHtml(res: http.ServerResponse, status: number, page: SafeHtml): void {
  const text = page.text;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** A small page for errors and refusals, in the console's layout. */
export function messagePage(res: http.ServerResponse, status: number, principal: string, title: string, message: string): void {
  sendHtml(res, status, layout({ title, section: 'topics', principal, body: html`<h1>${title}</h1><p class="notice">${message}</p><p><a href="/">Back to topics</a></p>` }));
}
