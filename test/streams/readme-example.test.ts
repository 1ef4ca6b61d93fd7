/** The README's streams example, run as written (only the import paths, data dir and state dir differ). */
import { beforeAll, expect, it } from 'vitest';
import { Brook } from '../../src/index.js';
import { KafkaStreams, StreamsBuilder, Serdes, Suppressed, TimeWindows, type QueryEntry } from '../../src/streams/index.js';
import { tempDir } from '../helpers/temp-dir.js';

beforeAll(() => {
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
});

it('runs the README streams example: alerts, counts per service and level per minute, an interactive query', async () => {
  const dataDir = tempDir('brook-readme-streams-');
  const stateDir = tempDir('brook-readme-streams-state-');
  // --- README example starts here ---
  const brook = await Brook.open({ dataDir, handleSignals: false });
  await brook.admin.createTopic('logs', { partitions: 4 });

  const builder = new StreamsBuilder();
  const lines = builder.stream('logs');
  lines.filter((_key, line) => line.includes(' ERROR ')).to('alerts');
  lines
    .groupBy((_key, line) => line.split(' ').slice(0, 2).join(' '))
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
    .count({ storeName: 'level-counts' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((windowed, count) => [`${windowed.key} ${new Date(windowed.window.start).toISOString()}`, count])
    .to('level-counts', { valueSerde: Serdes.JSON() });

  const app = new KafkaStreams(builder.build(), brook, { applicationId: 'log-levels', commitIntervalMs: 1000, stateDir, log: () => undefined });
  await app.start();
  await app.untilRunning();

  const producer = brook.producer();
  await producer.sendBatch(['web ERROR upstream timed out', 'web INFO GET /', 'web ERROR disk full', 'db WARN slow query']
    .map((line) => ({ topic: 'logs', value: line })));

  const store = app.store('level-counts');
  let windows: QueryEntry[] = [];
  while (windows.length === 0) {
    windows = await store.fetch('web ERROR', Date.now() - 60_000, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(windows);
  await app.close();
  // --- README example ends here ---

  expect(windows).toHaveLength(1);
  expect(windows[0]).toMatchObject({ key: 'web ERROR', value: 2 });
  expect(windows[0]!.window!.end - windows[0]!.window!.start).toBe(60_000);
  const alerts: string[] = [];
  for await (const r of brook.consumer({ topic: 'alerts', from: 'beginning', follow: false })) alerts.push(r.value!.toString());
  expect(alerts.sort()).toEqual(['web ERROR disk full', 'web ERROR upstream timed out']);
  await brook.close();
});
