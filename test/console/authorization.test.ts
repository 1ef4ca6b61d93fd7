/**
 * The HTTP listener applies the Kafka listener's SASL users and ACLs: a real `brook serve
 * --sasl-users --acl --http` process; every request authenticates with basic auth, and a user
 * without describe on a topic never sees it, neither in the console (pages, JSON, live
 * fragments, a group's lag) nor in /metrics.
 *
 *   user    topics                         groups         cluster
 *   alice   a-*: read                      a-*: describe  describe
 *   bob     a-*: read, d-*: describe       a-*: read      -
 *   eve     (nothing)                      -              -
 *   admin   super user (--super-users)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/server/security/credentials.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

let server: HttpServerProcess;

const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}` });
const get = (user: string | null, route: string) => fetch(`${server.httpUrl}${route}`, { headers: user === null ? {} : basic(user), redirect: 'manual' });
const post = (user: string, route: string, form: Record<string, string>) =>
  fetch(`${server.httpUrl}${route}`, { method: 'POST', headers: { ...basic(user), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });

beforeAll(async () => {
  const dir = tempDir('brook-console-acl-');
  const users = path.join(dir, 'users.json');
  for (const user of ['alice', 'bob', 'eve', 'admin']) addUser(users, user, 'PLAIN', `${user}-pw`);
  const acl = path.join(dir, 'acl.json');
  fs.writeFileSync(acl, JSON.stringify({
    acls: [
      { user: 'alice', resource: 'topic', prefix: 'a-', operations: ['read'] },
      { user: 'alice', resource: 'group', prefix: 'a-', operations: ['describe'] },
      { user: 'alice', resource: 'cluster', prefix: '', operations: ['describe'] },
      { user: 'bob', resource: 'topic', prefix: 'a-', operations: ['read'] },
      { user: 'bob', resource: 'topic', prefix: 'd-', operations: ['describe'] },
      { user: 'bob', resource: 'group', prefix: 'a-', operations: ['read'] },
    ],
  }));
  server = await startWithHttp({ args: ['--sasl-users', users, '--sasl-mechanisms', 'PLAIN', '--acl', acl, '--super-users', 'admin'] });
  // The admin creates the topics, writes 3 records to each of the first two (HTTP ingest) and
  // gives group a-g committed offsets at their ends, through the console.
  for (const name of ['a-visible', 's-secret']) {
    expect((await post('admin', '/console/topics', { name, partitions: '1', confirm: 'yes' })).status).toBe(303);
    const ingest = await fetch(`${server.httpUrl}/topics/${name}`, { method: 'POST', headers: { ...basic('admin'), 'content-type': 'text/plain' }, body: 'one\ntwo\nthree\n' });
    expect(ingest.status).toBe(200);
    expect((await post('admin', `/console/groups/a-g/reset-offsets`, { topic: name, to: 'latest', confirm: 'yes' })).status).toBe(303);
  }
  expect((await post('admin', '/console/topics', { name: 'd-described', partitions: '1', confirm: 'yes' })).status).toBe(303);
});

/** Group a-g's committed offset per topic (partition 0), as the super user sees it. */
async function committedOffsets(): Promise<Record<string, number>> {
  const view = (await (await get('admin', '/console/api/groups/a-g')).json()) as { partitions: { topic: string; committedOffset: number }[] };
  return Object.fromEntries(view.partitions.map((p) => [p.topic, p.committedOffset]));
}

afterAll(async () => {
  await server?.stop();
});

describe('the console and /metrics under SASL and ACLs', () => {
  it('asks for basic credentials and refuses wrong ones', async () => {
    for (const route of ['/', '/metrics', '/console/api/topics']) {
      const anonymous = await get(null, route);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
    const wrong = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });

  it('shows the super user everything', async () => {
    const metrics = await (await get('admin', '/metrics')).text();
    expect(metrics).toContain('topic="a-visible"');
    expect(metrics).toContain('topic="s-secret"');
    expect(await (await get('admin', '/')).text()).toContain('s-secret');
  });

  it('never shows a topic without describe to alice, in any page, answer or series', async () => {
    const metrics = await (await get('alice', '/metrics')).text();
    expect(metrics).toContain('brook_partition_log_end_offset{topic="a-visible",partition="0"}');
    expect(metrics).toContain('brook_group_committed_offset{group="a-g",topic="a-visible",partition="0"}');
    expect(metrics).toContain('brook_worker_partitions'); // she may describe the cluster
    for (const route of ['/', '/console/api/topics', '/console/api/topics?fragment=1', '/console/groups', '/console/groups/a-g', '/console/api/groups/a-g', '/console/api/groups/a-g?fragment=1', '/console/api/throughput']) {
      const response = await get('alice', route);
      expect(response.status, route).toBe(200);
      expect(await response.text(), route).not.toContain('s-secret');
    }
    expect(await (await get('alice', '/')).text()).toContain('a-visible');
    expect(await (await get('alice', '/console/groups/a-g')).text()).toContain('a-visible');
    for (const route of ['/console/topics/s-secret', '/console/topics/s-secret/messages', '/console/api/topics/s-secret', '/console/api/topics/s-secret/messages']) {
      expect((await get('alice', route)).status, route).toBe(404);
    }
    expect(metrics).not.toContain('s-secret');
  });

  it('shows eve no topic, no group and no broker-wide series, and lets her change nothing', async () => {
    const metrics = await (await get('eve', '/metrics')).text();
    expect(metrics).not.toMatch(/topic="/);
    expect(metrics).not.toMatch(/group="/);
    expect(metrics).not.toContain('brook_worker_partitions{');
    expect(metrics).not.toContain('process_resident_memory_bytes');
    expect(await (await get('eve', '/')).text()).not.toMatch(/a-visible|s-secret/);
    expect((await post('eve', '/console/topics', { name: 'e-new', partitions: '1', confirm: 'yes' })).status).toBe(403);
    expect((await post('eve', '/console/topics/a-visible/delete', { confirm: 'yes' })).status).toBe(404);
    expect((await post('alice', '/console/topics/a-visible/delete', { confirm: 'yes' })).status).toBe(403);
    expect(await (await get('admin', '/')).text()).toContain('a-visible');
  });

  it('resets only the topics a user may see, and answers a hidden topic exactly as a missing one', async () => {
    expect(await committedOffsets()).toEqual({ 'a-visible': 3, 's-secret': 3 });
    // "Every topic the group committed" is every topic bob may see: the confirmation lists only a-visible.
    const confirmation = await post('bob', '/console/groups/a-g/reset-offsets', { topic: '', to: 'earliest' });
    expect(confirmation.status).toBe(200);
    const page = await confirmation.text();
    expect(page).toContain('a-visible partition 0 → offset 0');
    expect(page).not.toContain('s-secret');
    expect((await post('bob', '/console/groups/a-g/reset-offsets', { topic: '', to: 'earliest', confirm: 'yes' })).status).toBe(303);
    expect(await committedOffsets()).toEqual({ 'a-visible': 0, 's-secret': 3 });

    // Naming the hidden topic answers word for word what naming a topic that does not exist answers.
    const hidden = await post('bob', '/console/groups/a-g/reset-offsets', { topic: 's-secret', to: 'earliest', confirm: 'yes' });
    const missing = await post('bob', '/console/groups/a-g/reset-offsets', { topic: 's-nothing', to: 'earliest', confirm: 'yes' });
    expect(hidden.status).toBe(400);
    expect(missing.status).toBe(400);
    expect((await hidden.text()).replaceAll('s-secret', 'NAME')).toBe((await missing.text()).replaceAll('s-nothing', 'NAME'));
    expect(await committedOffsets()).toEqual({ 'a-visible': 0, 's-secret': 3 });

    // A topic bob may describe but not read: a clear refusal that names it.
    const unreadable = await post('bob', '/console/groups/a-g/reset-offsets', { topic: 'd-described', to: 'earliest', confirm: 'yes' });
    expect(unreadable.status).toBe(403);
    expect(await unreadable.text()).toContain('User:bob may not read topic &#39;d-described&#39;');
  });

  it('refuses a form posted from another site (the browser sends basic credentials along)', async () => {
    const response = await fetch(`${server.httpUrl}/console/topics`, {
      method: 'POST',
      headers: { ...basic('admin'), 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({ name: 'csrf', partitions: '1', confirm: 'yes' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(403);
    expect(await (await get('admin', '/')).text()).not.toContain('csrf');
  });
});
