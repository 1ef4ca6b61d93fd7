/**
 * Every route of the HTTP listener, in one place so one port serves them all: each feature adds
 * its routes here (health, readiness, metrics and the console; ingest mounts its own the same way).
 */
import type { Broker } from '../engine/broker.js';
import type { SecurityConfig } from '../server/security/session.js';
import { HttpRouter, sendJson } from './router.js';
import { mountObservability } from './observability.js';
import type { RequestMetrics } from '../metrics/requests.js';

/** What routes may use: the broker and the Kafka listener's security settings (ACLs apply over HTTP too). */
export interface HttpRouteContext {
  broker: Broker;
  security?: SecurityConfig;
  /** The Kafka listener's per-API figures, for /metrics (absent when embedded without one). */
  requestMetrics?: RequestMetrics;
  /** Open connections per listener, for /metrics. */
  connections?: () => Record<string, number>;
}

export function httpRoutes(context: HttpRouteContext): HttpRouter {
  const router = new HttpRouter();
  // Liveness: the process answers HTTP. (Readiness belongs with the engine's state.)
  router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok', clusterId: context.broker.clusterId }));
  // /readyz, /metrics and the web console at /.
  mountObservability(router, context);
  return router;
}
