/**
 * HTTP ingest of a real `brook serve --http`, driven with curl: REST Proxy v2 JSON (offsets back),
 * NDJSON with a key field, text lines, OTLP/HTTP JSON logs (resource and attributes kept, routed by
 * a template), a body past max.message.bytes (413, nothing written), a bad line (400, nothing
 * written), and basic auth with the SASL users plus topic ACLs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { makePki } from '../../security/helpers.js';
import { BROOK, readTopic, requireTool, startServe, type Serve } from '../helpers.js';

const curlFound = requireTool('curl', ['--version'], 'apt-get install curl');

interface Curl {
  status: number;
  body: Record<string, unknown>;
  headers: string;
}

/** curl -X POST; the body from a file (data) so large ones do not go through argv. */
function curl(url: string, contentType: string, data: string | Buffer, extra: string[] = []): Curl {
  const file = path.join(tempDir('brook-curl-'), 'body');
  fs.writeFileSync(file, data);
  const result = spawnSync('curl', ['-sS', '-g', '-D', '-', '-X', 'POST', '-H', `content-type: ${contentType}`, '--data-binary', `@${file}`, ...extra, url], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`curl failed: ${result.stderr}`);
  const split = result.stdout.lastIndexOf('\r\n\r\n');
  const headers = result.stdout.slice(0, split);
  const status = Number(/^HTTP\/[\d.]+ (\d+)/m.exec(headers.split('\r\n\r\n').at(-1)!)![1]);
  return { status, headers, body: JSON.parse(result.stdout.slice(split + 4)) as Record<string, unknown> };
}

describe.skipIf(!curlFound)('HTTP ingest (brook serve --http)', () => {
  let serve: Serve;

  beforeAll(async () => {
    serve = await startServe(['--http', '127.0.0.1:0', '--num-partitions', '3']);
  });

  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
  });

  it('takes REST Proxy v2 JSON and answers the offset of each record', async () => {
    const body = { records: [{ key: 'k1', value: { level: 'info', n: 1 } }, { value: [1, 2] }, { key: 'k1', value: 'third', partition: 2 }] };
    const answer = curl(`${serve.httpUrl}/topics/rest`, 'application/vnd.kafka.json.v2+json', JSON.stringify(body));
    expect(answer.status).toBe(200);
    const offsets = answer.body.offsets as Array<{ partition: number; offset: number; error_code: null }>;
    expect(offsets).toHaveLength(3);
    expect(offsets[2]).toMatchObject({ partition: 2, error_code: null });
    const records = await readTopic(serve.address, 'rest');
    for (const [i, { partition, offset }] of offsets.entries()) {
      const stored = records.find((r) => r.partition === partition && r.offset === offset)!;
      expect(stored.value!.toString()).toBe(JSON.stringify(body.records[i]!.value));
    }
    // REST Proxy's JSON serializer writes the key as JSON text: "k1" with its quotes.
    expect(records.find((r) => r.value!.toString() === '"third"')!.key!.toString()).toBe('"k1"');
    const binary = curl(`${serve.httpUrl}/topics/rest-bin`, 'application/vnd.kafka.binary.v2+json', JSON.stringify({ records: [{ key: Buffer.from('k').toString('base64'), value: Buffer.from([0, 1, 255]).toString('base64') }] }));
    expect(binary.status).toBe(200);
    expect([...(await readTopic(serve.address, 'rest-bin'))[0]!.value!]).toEqual([0, 1, 255]);
  });

  it('takes NDJSON (key from a field) and text, one record per line', async () => {
    const lines = ['{"app":"web","n":1}', '{"app":"db","n":2}', '', '{"app":"web","n":3}'];
    const ndjson = curl(`${serve.httpUrl}/topics/nd?key_field=app`, 'application/x-ndjson', `${lines.join('\n')}\n`);
    expect(ndjson).toMatchObject({ status: 200, body: { record_count: 3 } });
    const records = await readTopic(serve.address, 'nd');
    expect(records.map((r) => [r.key!.toString(), r.value!.toString()]).sort()).toEqual([['db', lines[1]], ['web', lines[0]], ['web', lines[3]]]);
    // Same key, same partition (murmur2), as a Kafka producer would place them.
    const web = records.filter((r) => r.key!.toString() === 'web');
    expect(web[0]!.partition).toBe(web[1]!.partition);

    const text = curl(`${serve.httpUrl}/topics/txt`, 'text/plain', 'first line\nsecond line\r\nthird line');
    expect(text).toMatchObject({ status: 200, body: { record_count: 3 } });
    expect((await readTopic(serve.address, 'txt')).map((r) => r.value!.toString()).sort()).toEqual(['first line', 'second line', 'third line']);
  });

  it('takes OTLP/HTTP JSON logs, one record per log record, resource and attributes kept', async () => {
    const request = {
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'host.cpus', value: { intValue: '8' } }] },
        scopeLogs: [{
          scope: { name: 'app.logger', version: '1.2' },
          logRecords: [
            { timeUnixNano: '1700000000123000000', severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'payment failed' }, attributes: [{ key: 'order', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: '42' } }] } } }], traceId: '5b8efff798038103d269b633813fc60c' },
            { observedTimeUnixNano: '1700000001000000000', body: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }] } } },
          ],
        }],
      }],
    };
    const answer = curl(`${serve.httpUrl}/v1/logs?topic=otel.{resource.service.name}&key_field=resource.service.name`, 'application/json', JSON.stringify(request));
    expect(answer).toMatchObject({ status: 200, body: { partialSuccess: {} } });
    const records = await readTopic(serve.address, 'otel.checkout');
    expect(records).toHaveLength(2);
    const first = JSON.parse(records[0]!.value!.toString()) as Record<string, unknown>;
    expect(first).toMatchObject({
      severity_text: 'ERROR', severity_number: 17, body: 'payment failed', trace_id: '5b8efff798038103d269b633813fc60c',
      attributes: { order: { id: '42' } }, resource: { 'service.name': 'checkout', 'host.cpus': '8' }, scope: { name: 'app.logger', version: '1.2' },
    });
    expect(records[0]!.timestamp).toBe(1700000000123);
    expect(records[0]!.key!.toString()).toBe('checkout');
    expect((JSON.parse(records[1]!.value!.toString()) as { body: unknown }).body).toEqual([true, 1.5]);
    expect(records[1]!.timestamp).toBe(1700000001000);
  });

  it('refuses a body past max.message.bytes with 413 and a bad NDJSON line with 400, writing nothing', async () => {
    // Just past the limit, far past it (the client is still sending when the answer is ready: it
    // must get the 413, not a reset connection), and chunked (no length declared).
    for (const [bytes, extra] of [[1_048_588 + 1, []], [16 * 1_048_576, []], [3 * 1_048_576, ['-H', 'transfer-encoding: chunked']]] as const) {
      const big = curl(`${serve.httpUrl}/topics/limits`, 'text/plain', Buffer.alloc(bytes, 'a'), [...extra]);
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ error: 'MESSAGE_TOO_LARGE' });
    }
    const bad = curl(`${serve.httpUrl}/topics/limits`, 'application/x-ndjson', '{"ok":1}\n{"broken":\n{"ok":3}\n');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'INVALID_RECORD' });
    expect(bad.body.message).toMatch(/line 2/);
    expect(await readTopic(serve.address, 'limits')).toEqual([]);
    const type = curl(`${serve.httpUrl}/topics/limits`, 'application/xml', '<x/>');
    expect(type.status).toBe(415);
    const name = curl(`${serve.httpUrl}/topics/bad%20name`, 'text/plain', 'x');
    expect(name).toMatchObject({ status: 400, body: { error: 'INVALID_TOPIC_EXCEPTION' } });
  });
});

describe.skipIf(!curlFound)('HTTP ingest with SASL users and ACLs', () => {
  it('over HTTPS (the Kafka listener\'s certificate), asks for basic credentials and applies topic ACLs to writes', async () => {
    const dir = tempDir('brook-ingest-acl-');
    const users = path.join(dir, 'users.json');
    for (const user of ['alice', 'bob']) {
      const added = spawnSync(process.execPath, [BROOK, 'users', 'add', user, '--file', users, '--password', `${user}-secret`], { encoding: 'utf8' });
      expect(added.status, added.stderr).toBe(0);
    }
    const acl = path.join(dir, 'acl.json');
    fs.writeFileSync(acl, JSON.stringify({ acls: [{ user: 'alice', resource: 'topic', prefix: 'app-', operations: ['write', 'create'] }] }));
    const pki = makePki();
    const serve = await startServe(['--http', '127.0.0.1:0', '--sasl-users', users, '--acl', acl, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey]);
    try {
      expect(serve.httpUrl).toMatch(/^https:\/\//);
      const url = `${serve.httpUrl}/topics/app-logs`;
      const ca = ['--cacert', pki.ca];
      expect(curl(url, 'text/plain', 'x\n', ca).status).toBe(401);
      expect(curl(url, 'text/plain', 'x\n', [...ca, '-u', 'alice:wrong']).status).toBe(401);
      expect(curl(url, 'text/plain', 'from alice\n', [...ca, '-u', 'alice:alice-secret'])).toMatchObject({ status: 200, body: { record_count: 1 } });
      expect(curl(url, 'text/plain', 'from bob\n', [...ca, '-u', 'bob:bob-secret'])).toMatchObject({ status: 403, body: { error: 'TOPIC_AUTHORIZATION_FAILED' } });
      expect(curl(`${serve.httpUrl}/topics/other`, 'text/plain', 'x\n', [...ca, '-u', 'alice:alice-secret']).status).toBe(403);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});
