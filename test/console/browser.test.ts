/**
 * The web console end to end in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded) against a real `brook serve --http` process:
 * create a topic through the form and its confirmation, produce JSON records over the Kafka
 * protocol, browse them pretty-printed and filtered, follow the live tail, watch a consumer
 * group's lag fall to zero while a kafkajs consumer reads, and reset its offsets. Screenshots go
 * to test-artifacts/console/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/console');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: HttpServerProcess;
let backend: NetworkBackend;
let browser: BrowserContext;
let page: Page;
let consumer: Consumer | null = null;

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

function clickRecord(i: number): { key: Buffer; value: Buffer; headers: { key: string; value: Buffer }[] } {
  return {
    key: Buffer.from(`user-${i % 5}`),
    value: Buffer.from(JSON.stringify({ user: `user-${i % 5}`, page: i % 2 === 0 ? '/home' : '/cart', n: i })),
    headers: [{ key: 'source', value: Buffer.from('browser-test') }],
  };
}

async function produceClicks(from: number, count: number): Promise<void> {
  for (let p = 0; p < 2; p++) {
    const records = Array.from({ length: count }, (_, i) => clickRecord(from + i)).filter((_, i) => i % 2 === p);
    expect((await backend.produce('clicks', p, encodeRecordBatch(records), 1)).errorCode).toBe(0);
  }
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startWithHttp({ env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
  backend = await NetworkBackend.connect(server.address);
  browser = await chromium.launchPersistentContext(tempDir('brook-chromium-'), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 860 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => {});
  await browser?.close();
  await backend?.close();
  await server?.stop();
});

describe('the web console in Chromium', () => {
  it('creates a topic through the form and its confirmation page', async () => {
    await page.goto(`${server.httpUrl}/`);
    await page.click('summary:has-text("Create a topic")');
    await page.fill('input[name="name"]', 'clicks');
    await page.fill('input[name="partitions"]', '2');
    await page.fill('textarea[name="configs"]', 'retention.ms=86400000');
    await page.click('button:has-text("Create…")');
    await expect.poll(() => page.textContent('h1')).toBe('Create topic?');
    expect(await backend.describeTopic('clicks')).toBeUndefined(); // nothing happens before Confirm
    await page.click('#confirm');
    await page.waitForURL(/\/console\/topics\/clicks$/);
    expect(await page.locator('#partitions tbody tr').count()).toBe(2);
    expect(await page.locator('#configs').textContent()).toContain('86400000');
    expect((await backend.describeTopic('clicks'))?.partitionCount).toBe(2);
  });

  it('browses produced records with JSON pretty-printed, filters them, and tails new ones live', async () => {
    await produceClicks(0, 40);
    await page.goto(`${server.httpUrl}/console/topics/clicks/messages?partition=all&from=oldest&limit=100`);
    expect(await page.locator('#messages tbody tr').count()).toBe(40);
    const firstValue = await page.locator('#messages tbody tr[data-partition="0"][data-offset="0"] pre.json').last().textContent();
    expect(firstValue).toBe(JSON.stringify({ user: 'user-0', page: '/home', n: 0 }, null, 2));
    expect(await page.locator('#messages dl.headers').first().textContent()).toContain('browser-test');
    await shot('messages');

    await page.fill('input[name="filter"]', 'user-3');
    await page.click('button:has-text("Browse")');
    await page.waitForURL(/filter=user-3/);
    const filtered = await page.locator('#messages tbody tr').count();
    expect(filtered).toBe(8); // n = 3, 8, ..., 38
    await page.selectOption('select[name="view"]', 'text');
    await page.click('button:has-text("Browse")');
    await page.waitForURL(/view=text/);
    expect(await page.locator('#messages pre.json').count()).toBe(0);

    await page.goto(`${server.httpUrl}/console/topics/clicks/messages?partition=all&from=newest&limit=5`);
    expect(await page.locator('#messages tbody tr').count()).toBe(5);
    await page.check('brook-tail input[data-role="toggle"]');
    await produceClicks(1000, 4);
    await eventually('the live tail to show the 4 new records', async () => (await page.locator('#messages tbody tr').count()) === 9);
    expect(await page.locator('#messages tbody').textContent()).toContain('"n": 1003');
  });

  it('shows a group\'s lag live as a consumer catches up, then resets its offsets behind a confirmation', async () => {
    // The group starts at the earliest offsets (set through the console's reset form) with 44 records to read.
    await page.goto(`${server.httpUrl}/console/groups`);
    const response = await page.request.post(`${server.httpUrl}/console/groups/clicks-reader/reset-offsets`, { form: { topic: 'clicks', to: 'earliest', confirm: 'yes' }, maxRedirects: 0 });
    expect(response.status()).toBe(303);
    await page.goto(`${server.httpUrl}/console/groups/clicks-reader`);
    expect(await page.textContent('#total-lag')).toBe('44');

    const kafka = new Kafka({ brokers: [server.address], clientId: 'browser-test', logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: 'clicks-reader', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'clicks', fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => {} });
    // The page is not reloaded: the live lag section updates itself.
    await eventually('the lag to fall to zero on the page', async () => (await page.textContent('#total-lag')) === '0');
    await eventually('the group to show as Stable with its member', async () => (await page.textContent('#group-state')) === 'Stable');
    await shot('group-caught-up');
    expect(await page.locator('#lag svg.spark polyline').count()).toBeGreaterThan(0);

    await consumer.disconnect();
    consumer = null;
    await page.reload();
    await eventually('the group to be Empty', async () => (await page.textContent('#group-state')) === 'Empty');
    await page.click('summary:has-text("Reset offsets")');
    await page.selectOption('select[name="topic"]', 'clicks');
    await page.selectOption('select[name="to"]', 'earliest');
    await page.click('button:has-text("Reset…")');
    await expect.poll(() => page.textContent('h1')).toBe('Reset offsets?');
    expect(await page.locator('.confirm li').count()).toBe(2);
    await shot('reset-confirm');
    await page.click('#confirm');
    await page.waitForURL(/\/console\/groups\/clicks-reader$/);
    expect(await page.textContent('#total-lag')).toBe('44');
  });

  it('shows the topics with sizes and a live throughput chart', async () => {
    await page.goto(`${server.httpUrl}/`);
    await produceClicks(2000, 200);
    await eventually('the chart to draw its lines', async () => (await page.locator('brook-throughput svg polyline').count()) === 2);
    // Loaded before those 200 records: the live table catches up without a reload.
    const messages = page.locator('#topics tr[data-topic="clicks"] [data-field="messages"]');
    await eventually('the topics table to count 244 messages', async () => (await messages.textContent()) === '244');
    await page.waitForTimeout(1500); // let the chart draw a few points for the screenshot (nothing timed is asserted)
    await shot('topics');
  });
});
