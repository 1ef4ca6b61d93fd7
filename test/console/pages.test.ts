/**
 * The console as a client without JavaScript gets it, from a real `brook serve --http` process:
 * plain GETs whose server-rendered HTML already holds the figures and the records; the message
 * browser started from an offset and from a timestamp (HTML page and JSON API); and a topic
 * deleted through its confirmation page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

let server: HttpServerProcess;
let backend: NetworkBackend;

/** Record timestamps: partition p's record i is at BASE_MS + i s + p * 500 ms (one batch per record). */
const BASE_MS = Date.UTC(2026, 0, 31, 12, 0, 0);
const timestampOf = (partition: number, i: number) => BASE_MS + i * 1000 + partition * 500;

beforeAll(async () => {
  server = await startWithHttp();
  backend = await NetworkBackend.connect(server.address);
  await backend.createTopic('events', { partitions: 2 });
  for (let partition = 0; partition < 2; partition++) {
    for (let i = 0; i < 10; i++) {
      const record = { key: Buffer.from(`k${partition}-${i}`), value: Buffer.from(JSON.stringify({ partition, n: i })), timestamp: timestampOf(partition, i), headers: [{ key: 'source', value: Buffer.from('pages-test') }] };
      expect((await backend.produce('events', partition, encodeRecordBatch([record]), 1)).errorCode).toBe(ErrorCode.NONE);
    }
  }
});

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

const get = (route: string) => fetch(`${server.httpUrl}${route}`, { redirect: 'manual' });
const postForm = (route: string, form: Record<string, string>) =>
  fetch(`${server.httpUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });

/** [partition, offset] of every record row of a message page, in page order. */
function rowsOf(page: string): [number, number][] {
  return [...page.matchAll(/<tr data-partition="(\d+)" data-offset="(\d+)">/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

interface BrowseJson {
  records: { partition: number; offset: number; timestamp: number; value: { text: string } }[];
  cursor: string;
}

describe('read-only pages without JavaScript', () => {
  it('renders the topics, a topic\'s partitions and its records in the HTML itself', async () => {
    const overview = await (await get('/')).text();
    expect(overview).toMatch(/<tr data-topic="events"><td><a href="\/console\/topics\/events">events<\/a><\/td><td class="num">2<\/td><td class="num" data-field="messages">20<\/td>/);

    const topic = await (await get('/console/topics/events')).text();
    for (const partition of [0, 1]) {
      expect(topic).toMatch(new RegExp(`<tr data-partition="${partition}"><td class="num">${partition}</td><td class="num" data-field="logStartOffset">0</td><td class="num" data-field="highWatermark">10</td><td class="num" data-field="logEndOffset">10</td>`));
    }
    expect(topic).toContain('<code>retention.ms</code>');

    // The records are in the page as served (no script fills them in): key, pretty JSON, header.
    const messages = await (await get('/console/topics/events/messages?partition=1&from=oldest&limit=2')).text();
    expect(rowsOf(messages)).toEqual([[1, 0], [1, 1]]);
    expect(messages).toContain('<pre class="text">k1-0</pre>');
    expect(messages).toContain('<pre class="json">{\n  &quot;partition&quot;: 1,\n  &quot;n&quot;: 0\n}</pre>');
    expect(messages).toContain('<dt>source</dt><dd>pages-test</dd>');
    expect(messages).toContain(`<time datetime="${new Date(timestampOf(1, 0)).toISOString()}">`);
  });
});

describe('the message browser', () => {
  it('starts from an offset, and "Newer" continues after the last record shown', async () => {
    const page = await (await get('/console/topics/events/messages?partition=0&from=offset&offset=4&limit=3')).text();
    expect(rowsOf(page)).toEqual([[0, 4], [0, 5], [0, 6]]);
    const newer = /<a href="\?([^"]+)">Newer →<\/a>/.exec(page)![1]!.replaceAll('&amp;', '&');
    expect(rowsOf(await (await get(`/console/topics/events/messages?${newer}`)).text())).toEqual([[0, 7], [0, 8], [0, 9]]);

    const json = (await (await get('/console/api/topics/events/messages?partition=0&from=offset&offset=4&limit=3')).json()) as BrowseJson;
    expect(json.records.map((r) => r.offset)).toEqual([4, 5, 6]);
    expect(json.records.map((r) => JSON.parse(r.value.text) as unknown)).toEqual([4, 5, 6].map((n) => ({ partition: 0, n })));
    expect(json.cursor).toBe('0:7');
    // Past the high watermark: nothing, and no error.
    expect(rowsOf(await (await get('/console/topics/events/messages?partition=0&from=offset&offset=99')).text())).toEqual([]);
  });

  it('starts from a timestamp (milliseconds or a date), in one partition or merged across all by time', async () => {
    // The first record at or after the time: partition 0's record 5 is at BASE + 5 s exactly, record 6 follows BASE + 5.2 s.
    const exact = (await (await get(`/console/api/topics/events/messages?partition=0&from=timestamp&timestamp=${timestampOf(0, 5)}&limit=3`)).json()) as BrowseJson;
    expect(exact.records.map((r) => r.offset)).toEqual([5, 6, 7]);
    const between = (await (await get(`/console/api/topics/events/messages?partition=0&from=timestamp&timestamp=${timestampOf(0, 5) + 200}&limit=3`)).json()) as BrowseJson;
    expect(between.records.map((r) => r.offset)).toEqual([6, 7, 8]);

    // A date in the page's own form field, every partition: ordered by timestamp across partitions.
    const date = new Date(BASE_MS + 7200).toISOString();
    const page = await (await get(`/console/topics/events/messages?partition=all&from=timestamp&timestamp=${encodeURIComponent(date)}&limit=100`)).text();
    expect(rowsOf(page)).toEqual([[1, 7], [0, 8], [1, 8], [0, 9], [1, 9]]);
    expect(page).toContain(`value="${date}"`);
    // After the last record: nothing.
    expect(rowsOf(await (await get(`/console/topics/events/messages?partition=all&from=timestamp&timestamp=${timestampOf(1, 9) + 1}`)).text())).toEqual([]);
  });
});

describe('deleting a topic', () => {
  it('asks first, then deletes it once confirmed: gone from the console, /metrics and the Kafka metadata', async () => {
    await backend.createTopic('doomed', { partitions: 1 });
    expect((await backend.produce('doomed', 0, encodeRecordBatch([{ value: Buffer.from('bye') }]), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(await (await get('/')).text()).toContain('data-topic="doomed"');

    // The topic page's button posts without confirm=yes: a confirmation page, nothing deleted yet.
    expect(await (await get('/console/topics/doomed')).text()).toContain('<form method="post" action="/console/topics/doomed/delete"');
    const asked = await postForm('/console/topics/doomed/delete', {});
    expect(asked.status).toBe(200);
    const confirmation = await asked.text();
    expect(confirmation).toContain('Delete topic <strong>doomed</strong>');
    expect(confirmation).toContain('<input type="hidden" name="confirm" value="yes">');
    expect((await backend.listTopics()).map((t) => t.name)).toContain('doomed');

    const confirmed = await postForm('/console/topics/doomed/delete', { confirm: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('/');
    expect((await backend.listTopics()).map((t) => t.name)).not.toContain('doomed');
    expect((await get('/console/topics/doomed')).status).toBe(404);
    expect(await (await get('/')).text()).not.toContain('doomed');
    expect(await (await get('/metrics')).text()).not.toContain('topic="doomed"');
    // The other topic is untouched.
    expect(await (await get('/')).text()).toContain('data-topic="events"');
  });
});

describe('lag history', () => {
  it('is recorded by /metrics scrapes too: a sparkline has history from before the console was opened', async () => {
    await backend.createTopic('watched', { partitions: 1 });
    for (let i = 0; i < 10; i++) expect((await backend.produce('watched', 0, encodeRecordBatch([{ value: Buffer.from(`w${i}`) }]), 1)).errorCode).toBe(ErrorCode.NONE);
    // Group 'watchers' commits offset 7 (lag 3) through the reset form; no group page is viewed.
    expect((await postForm('/console/groups/watchers/reset-offsets', { topic: 'watched', to: 'offset', value: '7', confirm: 'yes' })).status).toBe(303);
    expect(await (await get('/metrics')).text()).toContain('brook_group_lag{group="watchers",topic="watched",partition="0"} 3\n');
    for (let i = 0; i < 2; i++) expect((await backend.produce('watched', 0, encodeRecordBatch([{ value: Buffer.from(`x${i}`) }]), 1)).errorCode).toBe(ErrorCode.NONE);

    // The console's first look at the group: the lag is 5 now, and the history starts at the scrape's 3.
    const view = (await (await get('/console/api/groups/watchers')).json()) as { partitions: { lag: number; lagHistory: number[] }[] };
    expect(view.partitions[0]!.lag).toBe(5);
    expect(view.partitions[0]!.lagHistory[0]).toBe(3);
  });
});
