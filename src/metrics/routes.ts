/**
 * GET /metrics (Prometheus text format) and GET /readyz on the HTTP listener. Main thread.
 *
 * /readyz answers 200 once the broker finished recovery and every partition is open, 503 before
 * and while any partition is offline (a failed open), with the reason in the body (systemd,
 * Kubernetes readiness probes); /healthz (routes.ts) is liveness only.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { Access } from '../http/access.js';
import { sendJson, type HttpRouter } from '../http/router.js';
import type { SecurityConfig } from '../server/security/session.js';
import { CONTENT_TYPE } from './exposition.js';
import { ProcessMetrics } from './process.js';
import type { GroupLagView } from './group-lag.js';
import type { RequestMetrics } from './requests.js';
import { LabelCache, scrape } from './scrape.js';
import type { MetricsBroker } from './source.js';

const gzip = promisify(zlib.gzip);
/** Below this an exposition is sent as is: compressing it costs more than the bytes it saves. */
const GZIP_MIN_BYTES = 16 * 1024;

export interface MetricsRouteContext {
  broker: MetricsBroker;
  security?: SecurityConfig;
  requestMetrics?: RequestMetrics;
  connections?: () => Record<string, number>;
}

/** `onGroupLag` hears every group's lag a scrape computes (observability.ts: the console's lag history). */
export function mountMetricsRoutes(router: HttpRouter, context: MetricsRouteContext, onGroupLag?: (view: GroupLagView) => void): void {
  const processMetrics = new ProcessMetrics();
  router.onClose(() => processMetrics.close());
  const labels = new LabelCache();

  router.add('GET', '/readyz', ({ res }) => {
    const readiness = context.broker.readiness();
    const status = readiness.ready ? 'ready' : readiness.partitionsOffline > 0 ? 'partitions offline' : 'starting';
    sendJson(res, readiness.ready ? 200 : 503, { status, ...readiness });
  });

  router.add('GET', '/metrics', async ({ req, res, principal }) => {
    let body = await scrape({
      broker: context.broker,
      access: Access.of(principal, context.security),
      requests: context.requestMetrics,
      process: processMetrics,
      connections: context.connections,
      onGroupLag,
    }, labels);
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' };
    // Prometheus asks for gzip; compressing on libuv's thread pool keeps the main thread free.
    if (body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = await gzip(body, { level: 1 });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}
