/**
 * Everything for watching a running broker, mounted on the HTTP listener with one call:
 * /readyz and /metrics (src/metrics/routes.ts) and the web console at / (src/console/routes.ts).
 */
import { mountConsoleRoutes } from '../console/routes.js';
import { mountMetricsRoutes, type MetricsRouteContext } from '../metrics/routes.js';
import type { HttpRouter } from './router.js';

export type ObservabilityContext = MetricsRouteContext;

export function mountObservability(router: HttpRouter, context: ObservabilityContext): void {
  mountMetricsRoutes(router, context);
  mountConsoleRoutes(router, context);
}
