import { afterAll, describe, expect, it } from 'vitest';
import { HttpRouter } from '../../src/http/router.js';
import { HttpListener, parseHttpAddress } from '../../src/http/listener.js';
import { start, type ServerProcess } from '../helpers/server-process.js';

describe('HttpRouter', () => {
  const router = new HttpRouter()
    .add('POST', '/topics/{topic}', () => {})
    .add('GET', '/topics/{topic}/partitions/{partition}', () => {});

  it('matches placeholders, percent-decoded, one segment each', () => {
    const found = router.match('GET', '/topics/app%2Dlogs/partitions/3');
    expect(found).not.toBeNull();
    expect('params' in found! && found.params).toEqual({ topic: 'app-logs', partition: '3' });
    expect(router.match('POST', '/topics')).toBeNull();
    expect(router.match('POST', '/topics/a/b')).toBeNull();
  });

  it('names the allowed methods when only the method is wrong', () => {
    expect(router.match('DELETE', '/topics/t')).toEqual({ allow: ['POST'] });
  });
});

describe('parseHttpAddress', () => {
  it('takes host:port, [ipv6]:port and a bare port', () => {
    expect(parseHttpAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHttpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHttpAddress('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseHttpAddress('localhost')).toBeNull();
    expect(parseHttpAddress('127.0.0.1:70000')).toBeNull();
  });
});

describe('HttpListener', () => {
  const listeners: HttpListener[] = [];
  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });

  it('answers 404 and 405 as JSON, and asks for basic credentials when authentication is on', async () => {
    const router = new HttpRouter().add('GET', '/who', ({ res, principal }) => void res.end(principal));
    const open = await HttpListener.listen(router, { host: '127.0.0.1', port: 0 });
    const secured = await HttpListener.listen(router, { host: '127.0.0.1', port: 0, authenticate: (u, p) => u === 'alice' && p === 's3cret' });
    listeners.push(open, secured);

    expect(await (await fetch(`${open.url}/who`)).text()).toBe('User:ANONYMOUS');
    const missing = await fetch(`${open.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('NOT_FOUND');
    const wrongMethod = await fetch(`${open.url}/who`, { method: 'POST', body: 'x' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');

    const anonymous = await fetch(`${secured.url}/who`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await fetch(`${secured.url}/who`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${secured.url}/who`, { headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
    expect(await right.text()).toBe('User:alice');
  });
});

describe('brook serve --http', () => {
  let server: ServerProcess | null = null;
  afterAll(async () => {
    await server?.stop();
  });

  it('serves /healthz on its own port next to the Kafka listener and stops with it', async () => {
    server = await start({ args: ['--http', '127.0.0.1:0'] });
    // The http line follows the Kafka listener's ready line.
    while (!/http on \S+\n/.test(server.stdout())) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /http on (\S+)\n/.exec(server.stdout())![1]!;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect(await server.stop()).toBe(0);
  });
});
