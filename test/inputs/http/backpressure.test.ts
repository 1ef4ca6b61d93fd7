/**
 * HTTP ingest under backpressure: when the log does not acknowledge (its appends are held back
 * here by a gate in front of a real in-process broker) and the ingest producer's buffer
 * (buffer.memory, 1 MiB in this test) is full, a request waits backpressureWaitMs and is refused
 * with 429 THROTTLING_QUOTA_EXCEEDED and Retry-After, writing nothing; once the log catches up,
 * the held requests are answered 200 and exactly their lines are in the log.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Acks, BackendProduceResult } from '../../../src/embedded/backend.js';
import { BrokerBackend } from '../../../src/embedded/broker-backend.js';
import { Consumer } from '../../../src/embedded/consumer.js';
import { HttpListener } from '../../../src/http/listener.js';
import { HttpRouter } from '../../../src/http/router.js';
import { addIngestRoutes } from '../../../src/inputs/http/ingest-routes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Holds every produce until open(); the broker behind it is real and writes what is let through. */
function gate(backend: BrokerBackend): { open(): void; heldCount(): number } {
  const held: Array<() => void> = [];
  let isOpen = false;
  const produce = backend.produce.bind(backend);
  backend.produce = (topic: string, partition: number, batches: Buffer, acks: Acks): Promise<BackendProduceResult> => {
    if (isOpen) return produce(topic, partition, batches, acks);
    return new Promise((resolve, reject) => held.push(() => void produce(topic, partition, batches, acks).then(resolve, reject)));
  };
  return {
    open() {
      isOpen = true;
      for (const release of held.splice(0)) release();
    },
    heldCount: () => held.length,
  };
}

describe('HTTP ingest backpressure', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('answers 429 with Retry-After when the buffer stays full, writes nothing of it, and answers the held requests once the log catches up', async () => {
    const backend = await BrokerBackend.open({ dataDir: tempDir('brook-ingest-bp-') });
    closers.push(() => backend.close());
    await backend.createTopic('held', { partitions: 1 });
    const gated = gate(backend);
    const router = new HttpRouter();
    addIngestRoutes(router, { backend, producer: { bufferBytes: 1024 * 1024 }, backpressureWaitMs: 300 });
    const listener = await HttpListener.listen(router, { host: '127.0.0.1', port: 0 });
    closers.push(() => listener.close());

    const body = (tag: string): string => Array.from({ length: 6000 }, (_, i) => `${tag} ${i} ${'x'.repeat(90)}`).join('\n');
    const post = (tag: string): Promise<Response> => fetch(`${listener.url}/topics/held`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: body(tag) });
    // Two requests of ~600 KB fill the 1 MiB buffer while the log holds their batches back.
    const first = post('first');
    const second = post('second');
    while (gated.heldCount() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await post('refused');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'THROTTLING_QUOTA_EXCEEDED' });

    gated.open();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    const consumer = new Consumer(backend, { topic: 'held', from: 'beginning', follow: false });
    const tags = new Map<string, number>();
    for await (const record of consumer) {
      const tag = record.value!.toString().split(' ')[0]!;
      tags.set(tag, (tags.get(tag) ?? 0) + 1);
    }
    expect(Object.fromEntries(tags)).toEqual({ first: 6000, second: 6000 });
  });
});
