/**
 * The console's three changes: create a topic, delete a topic, reset a group's offsets. Each is a
 * form POST that first answers a confirmation page (what will happen, a Confirm button carrying
 * confirm=yes); only the confirmed POST acts. Works without JavaScript.
 *
 * Guards: the caller's ACLs (create on the topic or cluster, delete on the topic, read on the group
 * and its topics, as Kafka's CreateTopics, DeleteTopics and OffsetCommit need), and a same-origin
 * check, since a browser sends basic credentials with any site's form post (CSRF).
 * Main thread.
 */
import type http from 'node:http';
import { KafkaCodeError } from '../common/errors.js';
import { errorName } from '../protocol/error-codes.js';
import type { Access } from '../http/access.js';
import type { OffsetToCommit } from '../engine/coordinator/coordinator-groups.js';
import type { ConsoleContext } from './context.js';
import { html, layout, messagePage, path, sendHtml, type SafeHtml } from './html.js';
import { openedState } from './messages.js';

const FORM_BYTES_MAX = 64 * 1024;
const EARLIEST = -2;
const LATEST = -1;

/** Reads an application/x-www-form-urlencoded body of at most FORM_BYTES_MAX bytes; null when larger. */
export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_BYTES_MAX) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** False for a cross-site request (a browser names the other origin; curl sends neither header). */
export function sameOrigin(req: http.IncomingMessage): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function confirmPage(access: Access, title: string, what: SafeHtml, action: string, fields: URLSearchParams, cancel: string): SafeHtml {
  const hidden = [...fields].map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  const body = html`<h1>${title}</h1><section class="card confirm"><p>${what}</p>
<form method="post" action="${action}">${hidden}<input type="hidden" name="confirm" value="yes"><button class="danger" type="submit" id="confirm">Confirm</button> <a href="${cancel}">Cancel</a></form></section>`;
  return layout({ title, section: 'topics', principal: access.principal, body });
}

function failure(error: unknown): string {
  if (error instanceof KafkaCodeError) return `${errorName(error.errorCode)}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** name=...&partitions=...&configs=k=v lines. */
export async function createTopic(context: ConsoleContext, access: Access, res: http.ServerResponse, form: URLSearchParams): Promise<void> {
  const name = (form.get('name') ?? '').trim();
  const partitions = Number(form.get('partitions') ?? '1');
  const configs: Record<string, string> = {};
  for (const line of (form.get('configs') ?? '').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return messagePage(res, 400, access.principal, 'Cannot create the topic', `config line '${line.trim()}' is not name=value`);
    configs[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  if (name === '' || !Number.isInteger(partitions) || partitions < 1) {
    return messagePage(res, 400, access.principal, 'Cannot create the topic', 'a name and a whole number of partitions (1 or more) are required');
  }
  if (!access.may('create', 'topic', name) && !access.may('create', 'cluster', 'kafka-cluster')) {
    return messagePage(res, 403, access.principal, 'Not allowed', `${access.principal} may not create topic '${name}' (TOPIC_AUTHORIZATION_FAILED)`);
  }
  if (form.get('confirm') !== 'yes') {
    const configText = Object.entries(configs).map(([k, v]) => `${k}=${v}`).join(', ');
    return sendHtml(res, 200, confirmPage(access, 'Create topic?', html`Create topic <strong>${name}</strong> with ${partitions} partition(s)${configText === '' ? '' : html` and configs <code>${configText}</code>`}?`, '/console/topics', form, '/'));
  }
  try {
    await context.broker.createTopic(name, { partitions, configs });
  } catch (error) {
    return messagePage(res, 400, access.principal, 'Cannot create the topic', failure(error));
  }
  res.writeHead(303, { location: path('/console/topics', name) }).end();
}

export async function deleteTopic(context: ConsoleContext, access: Access, res: http.ServerResponse, topic: string, form: URLSearchParams): Promise<void> {
  if (!access.seesTopic(topic) || context.broker.topics().every((t) => t.name !== topic)) {
    return messagePage(res, 404, access.principal, 'No such topic', `topic '${topic}' does not exist`);
  }
  if (!access.may('delete', 'topic', topic)) {
    return messagePage(res, 403, access.principal, 'Not allowed', `${access.principal} may not delete topic '${topic}' (TOPIC_AUTHORIZATION_FAILED)`);
  }
  if (form.get('confirm') !== 'yes') {
    return sendHtml(res, 200, confirmPage(access, 'Delete topic?', html`Delete topic <strong>${topic}</strong> and every record in it? This cannot be undone.`, path('/console/topics', topic, 'delete'), new URLSearchParams(), path('/console/topics', topic)));
  }
  try {
    await context.broker.deleteTopic(topic);
  } catch (error) {
    return messagePage(res, 400, access.principal, 'Cannot delete the topic', failure(error));
  }
  res.writeHead(303, { location: '/' }).end();
}

/**
 * The offsets a reset asks for: per partition of the chosen topic(s), from ListOffsets. Topics the
 * caller may not describe are invisible here as everywhere in the console: left out of "every
 * topic the group committed", and a hidden topic named explicitly answers exactly as a topic that
 * does not exist (so neither the refusal nor its wording tells that it exists).
 */
async function resetTargets(context: ConsoleContext, access: Access, groupId: string, topic: string, to: string, value: string): Promise<OffsetToCommit[] | string> {
  const { broker } = context;
  if (topic !== '' && !access.seesTopic(topic)) return `topic '${topic}' does not exist`;
  const committed = (await broker.groups.describeGroup(groupId)).offsets;
  const partitions = new Map<string, Set<number>>();
  for (const c of committed) {
    if (topic === '' ? !access.seesTopic(c.topic) : c.topic !== topic) continue;
    (partitions.get(c.topic) ?? partitions.set(c.topic, new Set()).get(c.topic)!).add(c.partition);
  }
  if (topic !== '' && !partitions.has(topic)) {
    const info = broker.topics().find((t) => t.name === topic);
    if (info === undefined) return `topic '${topic}' does not exist`;
    partitions.set(topic, new Set(Array.from({ length: info.partitionCount }, (_, p) => p)));
  }
  if (partitions.size === 0) return 'the group has no committed offsets; choose a topic';
  let timestamp: number;
  if (to === 'earliest') timestamp = EARLIEST;
  else if (to === 'latest') timestamp = LATEST;
  else if (to === 'timestamp') {
    timestamp = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(timestamp)) return `'${value}' is not a timestamp (ms or 2026-01-31T12:00)`;
  } else if (to === 'offset') {
    if (!/^\d+$/.test(value)) return `'${value}' is not an offset`;
    timestamp = Number.NaN;
  } else return `'${to}' is not earliest, latest, offset or timestamp`;
  const offsets: OffsetToCommit[] = [];
  for (const [t, set] of partitions) {
    for (const partition of [...set].sort((a, b) => a - b)) {
      const state = await openedState(broker, t, partition);
      if (state === undefined) continue;
      let offset: number;
      if (Number.isNaN(timestamp)) offset = Math.min(Math.max(Number(value), state.logStartOffset), state.highWatermark);
      else {
        const found = await broker.listOffset(t, partition, timestamp);
        offset = found.offset < 0 ? state.highWatermark : found.offset;
      }
      offsets.push({ topic: t, partition, offset });
    }
  }
  return offsets;
}

export async function resetOffsets(context: ConsoleContext, access: Access, res: http.ServerResponse, groupId: string, form: URLSearchParams): Promise<void> {
  const back = path('/console/groups', groupId);
  if (!access.may('read', 'group', groupId)) {
    return messagePage(res, 403, access.principal, 'Not allowed', `${access.principal} may not reset offsets of group '${groupId}' (GROUP_AUTHORIZATION_FAILED)`);
  }
  const topic = form.get('topic') ?? '';
  const to = form.get('to') ?? 'earliest';
  const value = (form.get('value') ?? '').trim();
  let targets: OffsetToCommit[] | string;
  try {
    targets = await resetTargets(context, access, groupId, topic, to, value);
  } catch (error) {
    return messagePage(res, 400, access.principal, 'Cannot reset offsets', failure(error));
  }
  if (typeof targets === 'string') return messagePage(res, 400, access.principal, 'Cannot reset offsets', targets);
  // Every target is a topic the caller may describe; reading (what OffsetCommit needs) is separate.
  const denied = targets.find((t) => !access.may('read', 'topic', t.topic));
  if (denied !== undefined) {
    return messagePage(res, 403, access.principal, 'Not allowed', `${access.principal} may not read topic '${denied.topic}' (TOPIC_AUTHORIZATION_FAILED)`);
  }
  if (form.get('confirm') !== 'yes') {
    const list = html`<ul>${targets.map((t) => html`<li>${t.topic} partition ${t.partition} → offset ${t.offset}</li>`)}</ul>`;
    return sendHtml(res, 200, confirmPage(access, 'Reset offsets?', html`Set the committed offsets of group <strong>${groupId}</strong>: ${list}`, path('/console/groups', groupId, 'reset-offsets'), form, back));
  }
  try {
    await context.broker.groups.resetOffsets(groupId, targets);
  } catch (error) {
    return messagePage(res, 409, access.principal, 'Cannot reset offsets', failure(error));
  }
  res.writeHead(303, { location: back }).end();
}
