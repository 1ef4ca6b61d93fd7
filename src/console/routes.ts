/**
 * The web console's routes on the HTTP listener:
 *
 *   GET  /                                   topics, live throughput, create form
 *   GET  /console/topics/{topic}             partitions, configs
 *   GET  /console/topics/{topic}/messages    message browser
 *   GET  /console/groups, /console/groups/{group}
 *   POST /console/topics, /console/topics/{topic}/delete, /console/groups/{group}/reset-offsets
 *   GET  /console/api/...                    the same figures as JSON (`?fragment=1`: the HTML
 *                                            fragment console.js swaps in for live updates)
 *   GET  /console/assets/{file}
 *
 * Every page and answer shows only what the caller's principal may describe (Access); a topic
 * or group it may not describe answers 404 as if it did not exist. Main thread.
 */
import type http from 'node:http';
import { Access } from '../http/access.js';
import { sendError, sendJson, type HttpExchange, type HttpRouter } from '../http/router.js';
import { groupLagViews, type GroupLagView } from '../metrics/group-lag.js';
import type { MetricsRouteContext } from '../metrics/routes.js';
import { createTopic, deleteTopic, readForm, resetOffsets, sameOrigin } from './actions.js';
import { asset } from './assets.js';
import type { ConsoleBroker, ConsoleContext } from './context.js';
import { groupPage, groupsPage, groupsTable, lagSection } from './group-pages.js';
import { messagePage, sendHtml, type SafeHtml } from './html.js';
import type { LagHistory } from './lag-history.js';
import { browseRequestFrom, messagesPage, recordRows, type ViewMode } from './message-page.js';
import { browse, formatCursor } from './messages.js';
import { RateSampler, type Rates } from './rates.js';
import { overviewPage, partitionsTable, topicPage, topicRows, topicsTable } from './topic-pages.js';

function sendFragment(res: http.ServerResponse, fragment: SafeHtml): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(fragment.text);
}

function wantsFragment(query: URLSearchParams): boolean {
  return query.get('fragment') === '1';
}

/** `lagHistory` is shared with /metrics (observability.ts), whose scrapes record into it too. */
export function mountConsoleRoutes(router: HttpRouter, routeContext: MetricsRouteContext, lagHistory: LagHistory): void {
  const context: ConsoleContext = {
    broker: routeContext.broker as ConsoleBroker,
    security: routeContext.security,
    rates: new RateSampler(routeContext.broker),
    lagHistory,
  };
  router.onClose(() => context.rates.close());
  const access = (exchange: HttpExchange) => Access.of(exchange.principal, context.security);
  const { broker } = context;

  const groupViews = async (a: Access, only?: string): Promise<GroupLagView[]> => {
    const views = await groupLagViews(broker, a, only);
    for (const view of views) context.lagHistory.record(view);
    return views;
  };
  const topicOf = (a: Access, name: string) => (a.seesTopic(name) ? broker.topics().find((t) => t.name === name) : undefined);

  // ------------------------------------------------------------------ pages
  router.add('GET', '/', (x) => sendHtml(x.res, 200, overviewPage(context, access(x))));
  router.add('GET', '/favicon.ico', ({ res }) => void res.writeHead(204).end());
  router.add('GET', '/console', ({ res }) => void res.writeHead(302, { location: '/' }).end());
  router.add('GET', '/console/topics/{topic}', (x) => {
    const page = topicPage(context, access(x), x.params.topic!);
    if (page === null) return messagePage(x.res, 404, x.principal, 'No such topic', `topic '${x.params.topic}' does not exist`);
    sendHtml(x.res, 200, page);
  });
  router.add('GET', '/console/topics/{topic}/messages', async (x) => {
    const a = access(x);
    const topic = topicOf(a, x.params.topic!);
    if (topic === undefined) return messagePage(x.res, 404, x.principal, 'No such topic', `topic '${x.params.topic}' does not exist`);
    if (!a.may('read', 'topic', topic.name)) return messagePage(x.res, 403, x.principal, 'Not allowed', `${x.principal} may not read topic '${topic.name}' (TOPIC_AUTHORIZATION_FAILED)`);
    const request = browseRequestFrom(topic.name, topic.partitionCount, x.query);
    if ('error' in request) return messagePage(x.res, 400, x.principal, 'Bad query', request.error);
    const result = await browse(broker, request, topic.partitionCount);
    sendHtml(x.res, 200, messagesPage(context, a, topic.name, topic.partitionCount, x.query, request, result));
  });
  router.add('GET', '/console/groups', async (x) => {
    const a = access(x);
    sendHtml(x.res, 200, groupsPage(a, await groupViews(a), broker.hasGroups));
  });
  router.add('GET', '/console/groups/{group}', async (x) => {
    const a = access(x);
    const [view] = await groupViews(a, x.params.group!);
    if (view === undefined) return messagePage(x.res, 404, x.principal, 'No such group', `group '${x.params.group}' does not exist`);
    sendHtml(x.res, 200, groupPage(context, a, view));
  });

  // ------------------------------------------------------------------ changes (confirmed form posts)
  const post = (handler: (x: HttpExchange, a: Access, form: URLSearchParams) => Promise<void>) => async (x: HttpExchange) => {
    if (!sameOrigin(x.req)) {
      x.req.resume();
      return messagePage(x.res, 403, x.principal, 'Refused', 'a form from another site cannot change this broker');
    }
    const form = await readForm(x.req);
    if (form === null) return messagePage(x.res, 413, x.principal, 'Refused', 'the form is too large');
    await handler(x, access(x), form);
  };
  router.add('POST', '/console/topics', post((x, a, form) => createTopic(context, a, x.res, form)));
  router.add('POST', '/console/topics/{topic}/delete', post((x, a, form) => deleteTopic(context, a, x.res, x.params.topic!, form)));
  router.add('POST', '/console/groups/{group}/reset-offsets', post(async (x, a, form) => {
    if (!broker.hasGroups || !a.seesGroup(x.params.group!)) return messagePage(x.res, 404, x.principal, 'No such group', `group '${x.params.group}' does not exist`);
    await resetOffsets(context, a, x.res, x.params.group!, form);
  }));

  // ------------------------------------------------------------------ JSON (and live fragments)
  router.add('GET', '/console/api/topics', (x) => {
    const rows = topicRows(context, access(x));
    if (wantsFragment(x.query)) return sendFragment(x.res, topicsTable(rows));
    sendJson(x.res, 200, { topics: rows });
  });
  router.add('GET', '/console/api/topics/{topic}', (x) => {
    const a = access(x);
    const topic = topicOf(a, x.params.topic!);
    if (topic === undefined) return sendError(x.res, 404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic '${x.params.topic}' does not exist`);
    if (wantsFragment(x.query)) return sendFragment(x.res, partitionsTable(context, topic.name, topic.partitionCount));
    const partitions = Array.from({ length: topic.partitionCount }, (_, p) => ({ partition: p, ...broker.partitionState(topic.name, p), ...broker.traffic.partition(topic.name, p) }));
    sendJson(x.res, 200, { name: topic.name, topicId: topic.topicId, configs: broker.topicConfig(topic.name), partitions, rates: context.rates.now(topic.name) });
  });
  router.add('GET', '/console/api/topics/{topic}/messages', async (x) => {
    const a = access(x);
    const topic = topicOf(a, x.params.topic!);
    if (topic === undefined) return sendError(x.res, 404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic '${x.params.topic}' does not exist`);
    if (!a.may('read', 'topic', topic.name)) return sendError(x.res, 403, 'TOPIC_AUTHORIZATION_FAILED', `${x.principal} may not read topic '${topic.name}'`);
    const request = browseRequestFrom(topic.name, topic.partitionCount, x.query);
    if ('error' in request) return sendError(x.res, 400, 'INVALID_REQUEST', request.error);
    const result = await browse(broker, request, topic.partitionCount);
    if (wantsFragment(x.query)) {
      const view: ViewMode = x.query.get('view') === 'text' ? 'text' : 'auto';
      return sendJson(x.res, 200, { count: result.records.length, cursor: formatCursor(result.cursor), rowsHtml: recordRows(result.records, view).text });
    }
    sendJson(x.res, 200, { ...result, cursor: formatCursor(result.cursor) });
  });
  router.add('GET', '/console/api/throughput', (x) => {
    const a = access(x);
    const only = x.query.get('topic');
    const names = broker.topics().map((t) => t.name).filter((n) => a.seesTopic(n) && (only === null || n === only));
    sendJson(x.res, 200, { series: sumSeries(names.map((n) => context.rates.series(n))) });
  });
  router.add('GET', '/console/api/groups', async (x) => {
    const views = await groupViews(access(x));
    if (wantsFragment(x.query)) return sendFragment(x.res, groupsTable(views, broker.hasGroups));
    sendJson(x.res, 200, { groups: views.map(({ members, ...v }) => ({ ...v, memberCount: members.length })) });
  });
  router.add('GET', '/console/api/groups/{group}', async (x) => {
    const [view] = await groupViews(access(x), x.params.group!);
    if (view === undefined) return sendError(x.res, 404, 'GROUP_ID_NOT_FOUND', `group '${x.params.group}' does not exist`);
    if (wantsFragment(x.query)) return sendFragment(x.res, lagSection(context, view));
    const partitions = view.partitions.map((p) => ({ ...p, lagHistory: context.lagHistory.values(view.groupId, p.topic, p.partition) }));
    sendJson(x.res, 200, { ...view, partitions });
  });

  router.add('GET', '/console/assets/{file}', ({ res, params }) => {
    const found = asset(params.file!);
    if (found === null) return sendError(res, 404, 'NOT_FOUND', `no asset ${params.file}`);
    res.writeHead(200, { 'content-type': found.type, 'content-length': found.body.length, 'cache-control': 'max-age=300' });
    res.end(found.body);
  });
}

/** Topic series summed sample by sample (every topic is sampled on the same tick). */
function sumSeries(all: (Rates & { timeMs: number })[][]): (Rates & { timeMs: number })[] {
  const byTime = new Map<number, Rates & { timeMs: number }>();
  for (const series of all) {
    for (const point of series) {
      const sum = byTime.get(point.timeMs) ?? { timeMs: point.timeMs, recordsInPerSec: 0, bytesInPerSec: 0, recordsOutPerSec: 0, bytesOutPerSec: 0 };
      sum.recordsInPerSec += point.recordsInPerSec;
      sum.bytesInPerSec += point.bytesInPerSec;
      sum.recordsOutPerSec += point.recordsOutPerSec;
      sum.bytesOutPerSec += point.bytesOutPerSec;
      byTime.set(point.timeMs, sum);
    }
  }
  return [...byTime.values()].sort((a, b) => a.timeMs - b.timeMs);
}
