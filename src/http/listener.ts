/**
 * The HTTP listener of `brook serve --http HOST:PORT` (and `Brook.open({ http })`): one node:http
 * (or https, with the Kafka listener's TLS options) server dispatching to an HttpRouter. Loopback
 * unless told otherwise, like the Kafka listener. Main thread; owned by whoever started it.
 *
 * Who the caller is: `authenticate` (when given) checks HTTP basic credentials and returns the
 * principal or null; without it every caller is the TLS client certificate's principal or
 * User:ANONYMOUS. Authorization is the routes' business (they know the resource).
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { ANONYMOUS, userPrincipal } from '../server/security/authorizer.js';
import { HttpRouter, sendError } from './router.js';

export interface HttpListenerOptions {
  host: string;
  port: number;
  /** Serve HTTPS with these options (the Kafka listener's --tls-cert/--tls-key/--tls-ca). */
  tls?: tls.TlsOptions;
  /**
   * Basic auth: returns true when `password` is `username`'s. When set, requests without valid
   * credentials get 401 with a `WWW-Authenticate: Basic` challenge.
   */
  authenticate?: (username: string, password: string) => boolean;
}

/** Parses `--http HOST:PORT` (`[::1]:8080`, `127.0.0.1:0`, or a bare port meaning 127.0.0.1). */
export function parseHttpAddress(raw: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(raw) ?? /^()()(\d+)$/.exec(raw);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  if (header === undefined || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function tlsPrincipal(socket: net.Socket): string | null {
  const peer = (socket as tls.TLSSocket).getPeerCertificate?.();
  if (peer === undefined || peer === null || !(socket as tls.TLSSocket).authorized) return null;
  const cn = peer.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? userPrincipal(cn) : null;
}

export class HttpListener {
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly router: HttpRouter,
    private readonly options: HttpListenerOptions,
  ) {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void this.dispatch(req, res);
    this.server = options.tls === undefined ? http.createServer(onRequest) : https.createServer(options.tls, onRequest);
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening; resolves once bound (port 0 picks a free port: see `port`). */
  static async listen(router: HttpRouter, options: HttpListenerOptions): Promise<HttpListener> {
    const listener = new HttpListener(router, options);
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(options.port, options.host, () => {
        listener.server.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get host(): string {
    return this.options.host;
  }

  /** Open HTTP connections (brook_connections{listener="http"}). */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** The base URL clients use, e.g. `http://127.0.0.1:8080`. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${this.options.tls === undefined ? 'http' : 'https'}://${host}:${this.port}`;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://brook');
    let principal = tlsPrincipal(req.socket) ?? ANONYMOUS;
    if (this.options.authenticate !== undefined) {
      const credentials = basicCredentials(req.headers.authorization);
      if (credentials === null || !this.options.authenticate(credentials.username, credentials.password)) {
        req.resume();
        sendError(res, 401, 'SASL_AUTHENTICATION_FAILED', 'valid HTTP basic credentials are required', { 'www-authenticate': 'Basic realm="brook", charset="UTF-8"' });
        return;
      }
      principal = userPrincipal(credentials.username);
    }
    const found = this.router.match(req.method ?? 'GET', url.pathname);
    if (found === null) {
      req.resume();
      sendError(res, 404, 'NOT_FOUND', `no route for ${url.pathname}`);
      return;
    }
    if ('allow' in found) {
      req.resume();
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, { allow: found.allow.join(', ') });
      return;
    }
    try {
      await found.handler({ req, res, path: url.pathname, query: url.searchParams, params: found.params, principal });
    } catch (err) {
      // A route that throws is a bug; the caller still gets an answer and the server keeps going.
      if (!res.headersSent) sendError(res, 500, 'UNKNOWN_SERVER_ERROR', err instanceof Error ? err.message : String(err));
      else res.destroy();
    }
  }

  /** Stops accepting, ends idle keep-alive connections, and waits for in-flight requests (at most `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    this.router.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }
}
