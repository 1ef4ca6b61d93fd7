/**
 * The HTTP listener's route table (`brook serve --http`): ingest (POST /topics/{topic}, OTLP logs),
 * Prometheus metrics, health checks and the web console all register routes here, so one port
 * serves them all. Main thread only; not thread-safe.
 *
 * Patterns are literal path segments and `{name}` placeholders (`/topics/{topic}`); a placeholder
 * matches one non-empty segment, percent-decoded. The first route registered for a method and path
 * wins. A path that matches a pattern under another method answers 405 with `Allow`.
 */
import type http from 'node:http';

/** What a route handler sees of one request. */
export interface HttpExchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The request path without the query string. */
  path: string;
  query: URLSearchParams;
  /** `{name}` placeholders of the pattern, decoded. */
  params: Record<string, string>;
  /** Kafka principal of the caller: `User:<name>` after basic auth, else the TLS CN or User:ANONYMOUS. */
  principal: string;
}

export type HttpHandler = (exchange: HttpExchange) => void | Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: HttpHandler;
}

/** Errors are JSON with Kafka's error name where there is one (REST Proxy answers error_code + message). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error_code: status, error, message }, headers);
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

export class HttpRouter {
  private readonly routes: Route[] = [];
  private readonly closeHooks: (() => void)[] = [];

  /** Runs `hook` when the listener serving this router closes (routes that own timers stop them). */
  onClose(hook: () => void): this {
    this.closeHooks.push(hook);
    return this;
  }

  /** Called by HttpListener.close. */
  close(): void {
    for (const hook of this.closeHooks.splice(0)) hook();
  }

  /** Adds a route; `pattern` like `/topics/{topic}`. */
  add(method: string, pattern: string, handler: HttpHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: splitPath(pattern), handler });
    return this;
  }

  /**
   * Finds the route for `method` and `path`: the handler with its params, 'method-not-allowed'
   * with the methods that would match, or null when no pattern matches the path.
   */
  match(method: string, path: string): { handler: HttpHandler; params: Record<string, string> } | { allow: string[] } | null {
    const segments = splitPath(path);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === null) continue;
      if (route.method === method.toUpperCase() || (route.method === 'GET' && method.toUpperCase() === 'HEAD')) return { handler: route.handler, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { allow: [...new Set(allow)] } : null;
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want.startsWith('{') && want.endsWith('}')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(got);
      } catch {
        return null;
      }
      params[want.slice(1, -1)] = decoded;
    } else if (want !== got) {
      return null;
    }
  }
  return params;
}
