/**
 * The console's consumer group pages: the list (state, members, total lag) and one group (members
 * and their assignment, committed offset and lag per partition with a sparkline of recent lag,
 * and the reset-offsets form). Server-rendered; console.js refreshes the lag cells and sparklines.
 * Main thread.
 */
import type { Access } from '../http/access.js';
import type { GroupLagView } from '../metrics/group-lag.js';
import type { ConsoleContext } from './context.js';
import { html, layout, path, sparkline, type SafeHtml } from './html.js';

/** The groups table (also the live fragment). */
export function groupsTable(views: readonly GroupLagView[], groupsEnabled: boolean): SafeHtml {
  return !groupsEnabled
    ? html`<p class="muted">This broker runs without consumer groups.</p>`
    : views.length === 0
      ? html`<p class="muted">No consumer groups yet.</p>`
      : html`<table id="groups"><thead><tr><th>Group</th><th>State</th><th class="num">Members</th><th class="num">Partitions</th><th class="num">Total lag</th></tr></thead><tbody>
${views.map((v) => html`<tr data-group="${v.groupId}"><td><a href="${path('/console/groups', v.groupId)}">${v.groupId}</a></td><td><span class="state state-${v.state}">${v.state}</span></td><td class="num">${v.members.length}</td><td class="num">${v.partitions.length}</td><td class="num" data-field="totalLag">${v.totalLag.toLocaleString('en-US')}</td></tr>
`)}</tbody></table>`;
}

export function groupsPage(access: Access, views: readonly GroupLagView[], groupsEnabled: boolean): SafeHtml {
  const body = html`<h1>Consumer groups</h1><section class="card"><brook-live src="/console/api/groups">${groupsTable(views, groupsEnabled)}</brook-live></section>`;
  return layout({ title: 'Consumer groups', section: 'groups', principal: access.principal, body });
}

function membersTable(view: GroupLagView): SafeHtml {
  return view.members.length === 0
    ? html`<p class="muted">No members: the group is ${view.state}.</p>`
    : html`<table id="members"><thead><tr><th>Member</th><th>Client</th><th>Host</th><th>Assignment</th></tr></thead><tbody>
${view.members.map((m) => html`<tr><td><code>${m.memberId}</code></td><td>${m.clientId}</td><td>${m.clientHost}</td><td>${m.assignment.map((a) => html`<span class="tag">${a.topic}: ${a.partitions.join(', ')}</span> `)}</td></tr>`)}
</tbody></table>`;
}

/** State, total lag, the lag table with a sparkline per partition, and the members (also the live fragment). */
export function lagSection(context: ConsoleContext, view: GroupLagView): SafeHtml {
  return html`<p><span class="state state-${view.state}" id="group-state">${view.state}</span> · ${view.protocolType || 'no protocol'} · ${view.members.length} member(s) · total lag <strong id="total-lag">${view.totalLag}</strong></p>
<table id="lag"><thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Committed offset</th><th class="num">High watermark</th><th class="num">Lag</th><th>Trend</th></tr></thead><tbody>
${view.partitions.map((p) => html`<tr data-topic="${p.topic}" data-partition="${p.partition}"><td><a href="${path('/console/topics', p.topic)}">${p.topic}</a></td><td class="num">${p.partition}</td><td class="num" data-field="committedOffset">${p.committedOffset}</td><td class="num" data-field="highWatermark">${p.highWatermark}</td><td class="num" data-field="lag">${p.lag ?? '—'}</td><td>${sparkline(context.lagHistory.values(view.groupId, p.topic, p.partition))}</td></tr>
`)}</tbody></table>
<h2>Members</h2>${membersTable(view)}`;
}

export function groupPage(context: ConsoleContext, access: Access, view: GroupLagView): SafeHtml {
  const topics = [...new Set(view.partitions.map((p) => p.topic))];
  const reset = access.may('read', 'group', view.groupId)
    ? html`<details class="card"><summary>Reset offsets</summary>
<p class="muted">Only a group without members can be reset (stop its consumers first), as with kafka-consumer-groups --reset-offsets.</p>
<form method="post" action="${path('/console/groups', view.groupId, 'reset-offsets')}" class="stack">
<label>Topic <select name="topic"><option value="">all committed topics</option>${topics.map((t) => html`<option>${t}</option>`)}</select></label>
<label>To <select name="to"><option value="earliest">earliest</option><option value="latest">latest</option><option value="offset">offset</option><option value="timestamp">timestamp</option></select></label>
<label>Offset or timestamp <input name="value" placeholder="1234 or 2026-01-31T12:00"></label>
<button class="danger" type="submit">Reset…</button>
</form></details>`
    : '';
  const body = html`<p class="crumbs"><a href="/console/groups">Consumer groups</a> / ${view.groupId}</p>
<h1>${view.groupId}</h1>
<section class="card"><brook-live src="${`/console/api/groups/${encodeURIComponent(view.groupId)}`}">${lagSection(context, view)}</brook-live></section>
${reset}`;
  return layout({ title: view.groupId, section: 'groups', principal: access.principal, body });
}
