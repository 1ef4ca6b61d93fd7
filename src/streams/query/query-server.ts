/**
 * Serves a running application's stores and status to `brook streams query` and `status` over
 * HTTP on a unix socket, <stateDir>/<applicationId>/query-<pid>.sock (one per process; the CLI
 * asks every live one and merges). Local only: the socket is a file with the state dir's
 * permissions.
 *
 *   GET /status                                  the application's status (AppStatus)
 *   GET /stores/<name>                           every entry
 *   GET /stores/<name>?key=K                     key-value: K's entry; window/session: K's windows
 *   GET /stores/<name>?from=A&to=B               key-value range (either bound may be absent)
 *   GET /stores/<name>?timeFrom=T1&timeTo=T2     windows in a time range (with or without key)
 *
 * Answers are JSON: { store, kind, entries: [{ key, value, timestamp, window? }] }; errors are
 * { error } with status 400 (bad request) or 404 (no such store).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AppStatus } from '../runtime/status.js';
import type { QueryEntry, StoreQuery } from '../runtime/thread-query.js';

export interface QuerySource {
  status(): Promise<AppStatus>;
  query(query: StoreQuery): Promise<QueryEntry[]>;
  store(name: string): { kind: string };
}

export const QUERY_SOCKET_PREFIX = 'query-';

export function querySocketPath(appDir: string, pid = process.pid): string {
  return path.join(appDir, `${QUERY_SOCKET_PREFIX}${pid}.sock`);
}

function timeParam(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer of milliseconds, got '${text}'`);
  return value;
}

export function queryFromParams(store: string, kind: string, params: URLSearchParams): StoreQuery {
  const key = params.get('key');
  const hasTime = params.has('timeFrom') || params.has('timeTo');
  const timeFrom = timeParam(params, 'timeFrom', 0);
  const timeTo = timeParam(params, 'timeTo', Number.MAX_SAFE_INTEGER - 1);
  if (kind === 'keyValue') {
    if (key !== null) return { op: 'get', store, key, keyIsText: true, format: 'json' };
    if (params.has('from') || params.has('to')) return { op: 'range', store, from: params.get('from'), to: params.get('to'), keyIsText: true, format: 'json' };
    return { op: 'all', store, format: 'json' };
  }
  if (key !== null) return { op: 'fetch', store, key, timeFrom, timeTo, keyIsText: true, format: 'json' };
  if (hasTime) return { op: 'fetchAll', store, timeFrom, timeTo, format: 'json' };
  return { op: 'all', store, format: 'json' };
}

export class QueryServer {
  private constructor(
    private readonly server: http.Server,
    readonly socketPath: string,
  ) {}

  static async start(source: QuerySource, appDir: string): Promise<QueryServer> {
    const socketPath = querySocketPath(appDir);
    fs.rmSync(socketPath, { force: true }); // a previous process with our pid left it behind
    const server = http.createServer((req, res) => void QueryServer.answer(source, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return new QueryServer(server, socketPath);
  }

  private static async answer(source: QuerySource, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://streams');
      if (req.method !== 'GET') return send(405, { error: 'only GET' });
      if (url.pathname === '/status') return send(200, await source.status());
      const match = /^\/stores\/([^/]+)$/.exec(url.pathname);
      if (match === null) return send(404, { error: `no route ${url.pathname}` });
      const name = decodeURIComponent(match[1]!);
      let kind: string;
      try {
        kind = source.store(name).kind;
      } catch (err) {
        return send(404, { error: (err as Error).message });
      }
      const entries = await source.query(queryFromParams(name, kind, url.searchParams));
      send(200, { store: name, kind, entries });
    } catch (err) {
      send(400, { error: (err as Error).message });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }
}
