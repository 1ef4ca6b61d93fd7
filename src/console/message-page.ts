/**
 * The message browser page: a form (partition, start from oldest / newest / an offset / a time,
 * how many, a key/value substring filter, text or pretty JSON), the records as a table (offset,
 * timestamp, key, value, headers), a "newer" link that continues from the cursor, and a live tail
 * (console.js polls the same query with the cursor). Parsing the query is here too, shared with
 * the JSON API. Main thread.
 */
import type { Access } from '../http/access.js';
import type { ConsoleContext } from './context.js';
import { html, layout, path, type SafeHtml } from './html.js';
import { formatCursor, parseCursor, RECORDS_LIMIT_DEFAULT, RECORDS_LIMIT_MAX, type BrowsedRecord, type BrowseRequest, type BrowseResult, type ShownBytes, type StartFrom } from './messages.js';

export type ViewMode = 'auto' | 'text';

/** The browse request a query string asks for, or an error line naming the bad parameter. */
export function browseRequestFrom(topic: string, partitionCount: number, query: URLSearchParams): BrowseRequest | { error: string } {
  const rawPartition = query.get('partition') ?? (partitionCount === 1 ? '0' : 'all');
  const partition = rawPartition === 'all' ? 'all' : Number(rawPartition);
  if (partition !== 'all' && (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount)) {
    return { error: `partition must be 'all' or 0..${partitionCount - 1}` };
  }
  const from = (query.get('from') ?? 'newest') as StartFrom;
  if (!['oldest', 'newest', 'offset', 'timestamp'].includes(from)) return { error: 'from must be oldest, newest, offset or timestamp' };
  const limit = Number(query.get('limit') ?? RECORDS_LIMIT_DEFAULT);
  if (!Number.isInteger(limit) || limit < 1 || limit > RECORDS_LIMIT_MAX) return { error: `limit must be 1..${RECORDS_LIMIT_MAX}` };
  const request: BrowseRequest = { topic, partition, from, limit };
  if (from === 'offset') {
    const offset = Number(query.get('offset') ?? '');
    if (!Number.isInteger(offset) || offset < 0) return { error: 'offset must be a whole number' };
    request.offset = offset;
  }
  if (from === 'timestamp') {
    const raw = query.get('timestamp') ?? '';
    const timestampMs = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(timestampMs)) return { error: 'timestamp must be milliseconds since the epoch or a date (2026-01-31T12:00)' };
    request.timestampMs = timestampMs;
  }
  const filter = query.get('filter');
  if (filter !== null && filter !== '') request.filter = filter;
  const rawCursor = query.get('cursor');
  if (rawCursor !== null && rawCursor !== '') {
    const cursor = parseCursor(rawCursor);
    if (cursor === null) return { error: 'cursor must look like 0:12,1:40' };
    request.cursor = cursor;
  }
  return request;
}

function shown(bytes: ShownBytes | null, view: ViewMode): SafeHtml {
  if (bytes === null) return html`<span class="muted">null</span>`;
  const note = bytes.encoding === 'base64' ? html`<span class="tag">base64</span>` : '';
  const cut = bytes.truncated ? html`<span class="tag">first ${bytes.text.length} chars of ${bytes.sizeBytes} bytes</span>` : '';
  if (view === 'auto' && bytes.json !== null) return html`<pre class="json">${bytes.json}</pre>`;
  return html`${note}${cut}<pre class="text">${bytes.text}</pre>`;
}

export function recordRows(records: readonly BrowsedRecord[], view: ViewMode): SafeHtml {
  return html`${records.map((r) => html`<tr data-partition="${r.partition}" data-offset="${r.offset}"><td class="num">${r.partition}</td><td class="num">${r.offset}</td><td><time datetime="${new Date(r.timestamp).toISOString()}">${new Date(r.timestamp).toISOString().replace('T', ' ').replace('Z', '')}</time></td><td>${shown(r.key, view)}</td><td>${shown(r.value, view)}</td><td>${r.headers.length === 0 ? '' : html`<dl class="headers">${r.headers.map((h) => html`<dt>${h.key}</dt><dd>${h.value ?? 'null'}</dd>`)}</dl>`}</td></tr>
`)}`;
}

export function messagesPage(context: ConsoleContext, access: Access, topic: string, partitionCount: number, query: URLSearchParams, request: BrowseRequest, result: BrowseResult): SafeHtml {
  const view: ViewMode = query.get('view') === 'text' ? 'text' : 'auto';
  const q = (name: string, fallback = '') => query.get(name) ?? fallback;
  const selected = (name: string, value: string, fallback: string) => (q(name, fallback) === value ? html` selected` : '');
  const partitionOptions = ['all', ...Array.from({ length: partitionCount }, (_, p) => String(p))];
  const next = new URLSearchParams(query);
  next.set('cursor', formatCursor(result.cursor));
  next.set('from', 'oldest');
  const tailQuery = new URLSearchParams({ partition: String(request.partition), limit: String(RECORDS_LIMIT_MAX), cursor: formatCursor(result.cursor), view });
  if (request.filter !== undefined) tailQuery.set('filter', request.filter);
  const body = html`<p class="crumbs"><a href="/">Topics</a> / <a href="${path('/console/topics', topic)}">${topic}</a> / messages</p>
<h1>Messages in ${topic}</h1>
<form method="get" class="browse card">
<label>Partition <select name="partition">${partitionOptions.map((p) => html`<option${selected('partition', p, partitionCount === 1 ? '0' : 'all')}>${p}</option>`)}</select></label>
<label>From <select name="from"><option value="newest"${selected('from', 'newest', 'newest')}>newest</option><option value="oldest"${selected('from', 'oldest', 'newest')}>oldest</option><option value="offset"${selected('from', 'offset', 'newest')}>offset</option><option value="timestamp"${selected('from', 'timestamp', 'newest')}>timestamp</option></select></label>
<label>Offset <input name="offset" type="number" min="0" value="${q('offset')}"></label>
<label>Timestamp <input name="timestamp" placeholder="2026-01-31T12:00 or ms" value="${q('timestamp')}"></label>
<label>Limit <input name="limit" type="number" min="1" max="${RECORDS_LIMIT_MAX}" value="${q('limit', String(RECORDS_LIMIT_DEFAULT))}"></label>
<label>Filter <input name="filter" placeholder="substring of key or value" value="${q('filter')}"></label>
<label>Show <select name="view"><option value="auto"${selected('view', 'auto', 'auto')}>pretty JSON</option><option value="text"${selected('view', 'text', 'auto')}>text</option></select></label>
<button type="submit">Browse</button>
</form>
<p class="muted" id="scan-note">${result.records.length} record(s) shown, ${result.scannedRecordCount} read${result.reachedEnd ? '' : ' (stopped before the end: read more with "Newer")'}.
<a href="?${next.toString()}">Newer →</a></p>
<brook-tail src="${`/console/api/topics/${encodeURIComponent(topic)}/messages?${tailQuery.toString()}`}"><label class="tail"><input type="checkbox" data-role="toggle"> Live tail</label></brook-tail>
<table id="messages"><thead><tr><th class="num">Partition</th><th class="num">Offset</th><th>Timestamp (UTC)</th><th>Key</th><th>Value</th><th>Headers</th></tr></thead><tbody>
${recordRows(result.records, view)}</tbody></table>`;
  return layout({ title: `${topic} messages`, section: 'topics', principal: access.principal, body });
}
