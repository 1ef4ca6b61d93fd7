/**
 * Prestarted partition workers (worker-prestart.ts): the engine adopts one for its first start and
 * it works as a freshly spawned one; one nobody adopts never keeps a process alive.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { adoptPrestartedWorker, prestartWorker } from '../../src/engine/worker-prestart.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchOf, readAll, tempDataDir } from './helpers.js';

const DIST = path.resolve(import.meta.dirname, '../../dist/src');
const PARTITION_WORKER = path.join(DIST, 'engine/partition/partition-worker.js');

let broker: Broker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

describe('prestarted partition workers', () => {
  it('are adopted by the engine for its first start, get their workerData as a message, and serve produce and fetch', async () => {
    prestartWorker(PARTITION_WORKER);
    broker = await Broker.open({ dataDir: tempDataDir(), workers: 1 });
    expect(adoptPrestartedWorker(PARTITION_WORKER, null)).toBeNull(); // the engine took it
    await broker.createTopic('t', { partitions: 1 });
    expect((await broker.produce('t', 0, batchOf(['a', 'b']))).errorCode).toBe(ErrorCode.NONE);
    expect((await readAll(broker, 't', 0)).map((r) => r.value?.toString())).toEqual(['a', 'b']);
  });

  it('never keep a process alive when nobody adopts them', () => {
    const script = `import(${JSON.stringify(pathToFileURL(path.join(DIST, 'engine/worker-prestart.js')).href)})` +
      `.then((m) => { m.prestartWorker(${JSON.stringify(PARTITION_WORKER)}); console.log('prestarted'); })`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(result.stdout).toBe('prestarted\n');
    expect(result.status).toBe(0);
  });
});
