/**
 * The client side of the query server (query-server.ts): finds every running process of an
 * application on this host by its socket in <stateDir>/<applicationId>/, asks each, and merges
 * the answers (each process answers for the tasks it runs). A socket whose process is gone is
 * skipped (and removed).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { QUERY_SOCKET_PREFIX } from '../query/query-server.js';

export interface QueryAnswer {
  store: string;
  kind: string;
  entries: Array<{ key: unknown; value: unknown; timestamp: number; window?: { start: number; end: number } }>;
}

export class NoRunningApplicationError extends Error {
  override name = 'NoRunningApplicationError';
}

function get(socketPath: string, pathAndQuery: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: pathAndQuery, method: 'GET', timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sockets of live processes of the application. */
export function applicationSockets(stateDir: string, applicationId: string): string[] {
  const dir = path.join(stateDir, applicationId);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(QUERY_SOCKET_PREFIX) && n.endsWith('.sock')).map((n) => path.join(dir, n));
}

/** GET `pathAndQuery` from every live process; throws NoRunningApplicationError if none answers. */
export async function askAll(stateDir: string, applicationId: string, pathAndQuery: string): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const socket of applicationSockets(stateDir, applicationId)) {
    let reply: { status: number; body: unknown };
    try {
      reply = await get(socket, pathAndQuery);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        fs.rmSync(socket, { force: true }); // its process is gone
        continue;
      }
      throw err;
    }
    if (reply.status !== 200) throw new Error((reply.body as { error?: string }).error ?? `HTTP ${reply.status}`);
    answers.push(reply.body);
  }
  if (answers.length === 0) throw new NoRunningApplicationError(`no running process of application '${applicationId}' under ${path.join(stateDir, applicationId)} (is it running, with this --state-dir?)`);
  return answers;
}

export async function queryStore(stateDir: string, applicationId: string, store: string, params: URLSearchParams): Promise<QueryAnswer> {
  const query = params.toString();
  const answers = (await askAll(stateDir, applicationId, `/stores/${encodeURIComponent(store)}${query === '' ? '' : `?${query}`}`)) as QueryAnswer[];
  const entries = answers.flatMap((a) => a.entries);
  entries.sort((a, b) => {
    const ka = JSON.stringify(a.key);
    const kb = JSON.stringify(b.key);
    return ka < kb ? -1 : ka > kb ? 1 : (a.window?.start ?? 0) - (b.window?.start ?? 0);
  });
  return { store, kind: answers[0]!.kind, entries };
}
