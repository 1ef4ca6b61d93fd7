/**
 * With TLS on (--tls-cert/--tls-key), the HTTP listener serves HTTPS with the Kafka listener's
 * certificate: the console, /metrics and /readyz of a real `brook serve --http` process, fetched
 * by a client that trusts only the test CA (made with openssl), and nothing in cleartext.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheus from 'parse-prometheus-text-format';
import { makePki, type Pki } from '../security/helpers.js';
import { startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

let pki: Pki;
let server: HttpServerProcess;

beforeAll(async () => {
  pki = makePki();
  server = await startWithHttp({ args: ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey] });
});

afterAll(async () => {
  await server?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

/** One HTTPS request trusting only the test CA (fetch() takes no CA of its own). */
function request(method: string, route: string, form?: Record<string, string>): Promise<Answer> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.httpUrl}${route}`, {
      method,
      ca: fs.readFileSync(pki.ca),
      headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      // Read now: the socket goes back to the agent (detached from res) once the body ends.
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), fingerprint }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the HTTP listener with TLS on', () => {
  it('serves the console, /metrics and /readyz over HTTPS with the Kafka listener\'s certificate', async () => {
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const certificate = new crypto.X509Certificate(fs.readFileSync(pki.serverCert)).fingerprint256;

    // A topic created through the console form, and records written through HTTP ingest, both over HTTPS.
    const created = await request('POST', '/console/topics', { name: 'secure-logs', partitions: '1', confirm: 'yes' });
    expect(created.status).toBe(303);
    expect(created.fingerprint).toBe(certificate);
    const ingest = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${server.httpUrl}/topics/secure-logs`, { method: 'POST', ca: fs.readFileSync(pki.ca), headers: { 'content-type': 'text/plain' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end('one\ntwo\nthree\n');
    });
    expect(ingest).toBe(200);

    const overview = await request('GET', '/');
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('data-topic="secure-logs"');
    const messages = await request('GET', '/console/topics/secure-logs/messages?from=oldest');
    expect(messages.body).toContain('<pre class="text">three</pre>');

    const metrics = await request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('brook_partition_records_in_total{topic="secure-logs",partition="0"} 3\n');
    expect(parsePrometheus(metrics.body).length).toBeGreaterThan(10);
    expect((await request('GET', '/readyz')).status).toBe(200);

    // The Kafka listener presents the same certificate.
    const kafkaFingerprint = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: server.host, port: server.port, ca: fs.readFileSync(pki.ca), servername: 'localhost' }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(kafkaFingerprint).toBe(certificate);
  });

  it('serves nothing in cleartext on that port', async () => {
    const cleartext = server.httpUrl.replace(/^https:/, 'http:');
    const answer = await fetch(`${cleartext}/metrics`).then((r) => r.status, () => 'refused');
    expect(answer).not.toBe(200);
  });
});
