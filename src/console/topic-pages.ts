/**
 * The console's topic pages: the overview at / (every topic the caller may describe, with size,
 * retention and records/s now, a live throughput chart, and the create form) and one topic's page
 * (configs, partitions with offsets, sizes and segments). Server-rendered; console.js makes the
 * figures live. Main thread.
 */
import type { Access } from '../http/access.js';
import type { ConsoleContext } from './context.js';
import { formatBytes, formatMs, formatRate, html, layout, path, SafeHtml } from './html.js';

export interface TopicRow {
  name: string;
  partitionCount: number;
  sizeBytes: number;
  retentionMs: string | undefined;
  cleanupPolicy: string | undefined;
  recordsInPerSec: number;
  recordsOutPerSec: number;
  bytesInPerSec: number;
  messages: number;
}

/** The topics `access` may describe, with their figures now (no file touched: published partition state). */
export function topicRows(context: ConsoleContext, access: Access): TopicRow[] {
  const { broker, rates } = context;
  return broker.topics().filter((t) => access.seesTopic(t.name)).map((topic) => {
    let sizeBytes = 0;
    let messages = 0;
    for (let p = 0; p < topic.partitionCount; p++) {
      const state = broker.partitionState(topic.name, p);
      if (state === undefined) continue;
      sizeBytes += state.sizeBytes;
      messages += state.highWatermark - state.logStartOffset;
    }
    const config = broker.topicConfig(topic.name);
    const now = rates.now(topic.name);
    return {
      name: topic.name, partitionCount: topic.partitionCount, sizeBytes, messages,
      retentionMs: config['retention.ms'], cleanupPolicy: config['cleanup.policy'],
      recordsInPerSec: now.recordsInPerSec, recordsOutPerSec: now.recordsOutPerSec, bytesInPerSec: now.bytesInPerSec,
    };
  });
}

function chart(topic: string | null): SafeHtml {
  const src = topic === null ? '/console/api/throughput' : `/console/api/throughput?topic=${encodeURIComponent(topic)}`;
  return html`<section class="card"><h2>Throughput</h2><brook-throughput src="${src}"><p class="muted">Live chart (needs JavaScript).</p></brook-throughput></section>`;
}

/** The topics table (also the live fragment console.js swaps in). */
export function topicsTable(rows: readonly TopicRow[]): SafeHtml {
  return rows.length === 0
    ? html`<p class="muted">No topics yet.</p>`
    : html`<table id="topics"><thead><tr><th>Topic</th><th class="num">Partitions</th><th class="num">Messages</th><th class="num">Size</th><th>Retention</th><th>Cleanup</th><th class="num">Records/s in</th><th class="num">Records/s out</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-topic="${r.name}"><td><a href="${path('/console/topics', r.name)}">${r.name}</a></td><td class="num">${r.partitionCount}</td><td class="num" data-field="messages">${r.messages.toLocaleString('en-US')}</td><td class="num" data-field="size">${formatBytes(r.sizeBytes)}</td><td>${formatMs(r.retentionMs)}</td><td>${r.cleanupPolicy ?? ''}</td><td class="num" data-field="recordsInPerSec">${formatRate(r.recordsInPerSec)}</td><td class="num" data-field="recordsOutPerSec">${formatRate(r.recordsOutPerSec)}</td></tr>
`)}</tbody></table>`;
}

export function overviewPage(context: ConsoleContext, access: Access): SafeHtml {
  const table = topicsTable(topicRows(context, access));
  const create = html`<details class="card"><summary>Create a topic</summary>
<form method="post" action="/console/topics" class="stack">
<label>Name <input name="name" required pattern="[a-zA-Z0-9._\\-]+" maxlength="249"></label>
<label>Partitions <input name="partitions" type="number" min="1" value="1" required></label>
<label>Configs <textarea name="configs" rows="3" placeholder="retention.ms=604800000&#10;cleanup.policy=delete"></textarea></label>
<button type="submit">Create…</button>
</form></details>`;
  const body = html`<h1>Topics</h1>${chart(null)}<section class="card"><brook-live src="/console/api/topics">${table}</brook-live></section>${create}`;
  return layout({ title: 'Topics', section: 'topics', principal: access.principal, body });
}

export function topicPage(context: ConsoleContext, access: Access, name: string): SafeHtml | null {
  const { broker } = context;
  const topic = broker.topics().find((t) => t.name === name);
  if (topic === undefined || !access.seesTopic(name)) return null;
  const configs = Object.entries(broker.topicConfig(name)).sort(([a], [b]) => a.localeCompare(b));
  const overrides = new Set(Object.keys(topic.configs));
  const body = html`<p class="crumbs"><a href="/">Topics</a> / ${name}</p>
<h1>${name}</h1>
<p class="actions"><a class="button" href="${path('/console/topics', name, 'messages')}">Browse messages</a>
${access.may('delete', 'topic', name) ? html`<form method="post" action="${path('/console/topics', name, 'delete')}" class="inline"><button class="danger" type="submit">Delete topic…</button></form>` : ''}</p>
${chart(name)}
<section class="card"><h2>Partitions</h2><brook-live src="${`/console/api/topics/${encodeURIComponent(name)}`}">${partitionsTable(context, name, topic.partitionCount)}</brook-live></section>
<section class="card"><h2>Configs</h2><table id="configs"><thead><tr><th>Name</th><th>Value</th><th>Source</th></tr></thead><tbody>
${configs.map(([k, v]) => html`<tr><td><code>${k}</code></td><td><code>${v}</code></td><td>${overrides.has(k) ? 'topic' : 'default'}</td></tr>`)}
</tbody></table></section>`;
  return layout({ title: name, section: 'topics', principal: access.principal, body });
}

/** One topic's partitions table (also the live fragment). */
export function partitionsTable(context: ConsoleContext, name: string, partitionCount: number): SafeHtml {
  const { broker } = context;
  const partitions = Array.from({ length: partitionCount }, (_, p) => ({ p, state: broker.partitionState(name, p), traffic: broker.traffic.partition(name, p) }));
  return html`<table id="partitions"><thead><tr><th class="num">Partition</th><th class="num">Log start offset</th><th class="num">High watermark</th><th class="num">Log end offset</th><th class="num">Size</th><th class="num">Segments</th><th class="num">Records in</th><th class="num">Records out</th></tr></thead><tbody>
${partitions.map(({ p, state, traffic }) => html`<tr data-partition="${p}"><td class="num">${p}</td><td class="num" data-field="logStartOffset">${state?.logStartOffset ?? '—'}</td><td class="num" data-field="highWatermark">${state?.highWatermark ?? '—'}</td><td class="num" data-field="logEndOffset">${state?.logEndOffset ?? '—'}</td><td class="num" data-field="size">${formatBytes(state?.sizeBytes ?? -1)}</td><td class="num" data-field="segmentCount">${state?.segmentCount ?? '—'}</td><td class="num" data-field="recordsIn">${traffic.recordsIn.toLocaleString('en-US')}</td><td class="num" data-field="recordsOut">${traffic.recordsOut.toLocaleString('en-US')}</td></tr>
`)}</tbody></table>`;
}
