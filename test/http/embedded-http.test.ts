/**
 * Brook.open({ http }): the embedded broker serves the same /healthz, /readyz, /metrics and
 * console as `brook serve --http`, and closing the Brook closes the listener.
 */
import { describe, expect, it } from 'vitest';
import { Brook } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('Brook.open({ http })', () => {
  it('serves readiness, metrics and the console of the in-process broker until closed', async () => {
    const brook = await Brook.open({ dataDir: tempDir('brook-embedded-http-'), handleSignals: false, http: { port: 0 } });
    let closed = false;
    try {
      const url = brook.http!.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await brook.admin.createTopic('embedded', { partitions: 1 });
      const producer = brook.producer();
      for (let i = 0; i < 7; i++) await producer.send({ topic: 'embedded', value: `record ${i}` });
      await producer.flush();

      const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; partitionsTotal: number };
      expect(ready).toMatchObject({ ready: true, partitionsTotal: 1 });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('brook_partition_records_in_total{topic="embedded",partition="0"} 7\n');
      expect(metrics).toContain('brook_connections{listener="http"}');
      expect(await (await fetch(`${url}/`)).text()).toContain('href="/console/topics/embedded"');

      await brook.close();
      closed = true;
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (!closed) await brook.close();
    }
  });
});
