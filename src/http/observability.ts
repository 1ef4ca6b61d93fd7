/**
 * Everything for watching a running broker, mounted on the HTTP listener with one call:
 * /readyz and /metrics (src/metrics/routes.ts) and the web console at / (src/console/routes.ts).
 * They share the lag history: a /metrics scrape records the lag it computes, so a group's
 * sparklines have history when Prometheus scrapes even if nobody had the console open.
 */
import { LagHistory } from '../console/lag-history.js';
import { mountConsoleRoutes } from '../console/routes.js';
import { mountMetricsRoutes, type MetricsRouteContext } from '../metrics/routes.js';
import type { HttpRouter } from './router.js';

export type ObservabilityContext = MetricsRouteContext;

export function mountObservability(router: HttpRouter, context: ObservabilityContext): void {
  const lagHistory = new LagHistory();
  mountMetricsRoutes(router, context, (view) => lagHistory.record(view));
  mountConsoleRoutes(router, context, lagHistory);
}
