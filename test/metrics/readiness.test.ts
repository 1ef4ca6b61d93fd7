/**
 * /readyz of a real `brook serve --http` process whose data dir holds a partition that cannot be
 * opened (its directory replaced by a file, so the worker's open throws): the broker serves the
 * other partitions, but is not ready, says which partition and why (in /readyz, the log and
 * /metrics), and is ready again once the damaged topic is deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

let server: HttpServerProcess | null = null;
let backend: NetworkBackend | null = null;

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

const batchOf = (value: string) => encodeRecordBatch([{ value: Buffer.from(value) }]);

interface ReadyBody {
  status: string;
  ready: boolean;
  partitionsOpen: number;
  partitionsTotal: number;
  partitionsOffline: number;
  reason?: string;
}

describe('/readyz', () => {
  it('answers 503 naming a partition that failed to open, until its topic is deleted', async () => {
    const dataDir = tempDir('brook-readyz-');
    server = await startWithHttp({ dataDir });
    backend = await NetworkBackend.connect(server.address);
    await backend.createTopic('damaged', { partitions: 2 });
    await backend.createTopic('healthy', { partitions: 1 });
    for (const [topic, partition] of [['damaged', 0], ['damaged', 1], ['healthy', 0]] as const) {
      expect((await backend.produce(topic, partition, batchOf('before'), 1)).errorCode).toBe(ErrorCode.NONE);
    }
    await backend.close();
    expect(await server.stop()).toBe(0);

    // A partition directory replaced by a file: the worker's open (recovery) throws ENOTDIR.
    fs.rmSync(path.join(dataDir, 'damaged-1'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'damaged-1'), 'not a directory');

    server = await startWithHttp({ dataDir });
    await eventually('the start-up open to finish', () => /\nready: /.test(server!.stdout()));
    expect(server.stdout()).toMatch(/\nready: 2 of 3 partitions open, 1 offline/);
    const answer = await fetch(`${server.httpUrl}/readyz`);
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as ReadyBody;
    expect(body).toMatchObject({ status: 'partitions offline', ready: false, partitionsOpen: 2, partitionsTotal: 3, partitionsOffline: 1 });
    expect(body.reason).toMatch(/^1 partition\(s\) offline: partition damaged-1 is offline: it cannot be opened: .*ENOTDIR/);
    expect(server.stderr()).toMatch(/brook: partition damaged-1 is offline: it cannot be opened: .*ENOTDIR/);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toContain('\nbrook_ready 0\n');
    expect(metrics).toContain('\nbrook_partitions_offline 1\n');

    // The other partitions serve meanwhile; the damaged one answers a storage error.
    backend = await NetworkBackend.connect(server.address);
    expect((await backend.produce('healthy', 0, batchOf('after'), 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await backend.produce('damaged', 0, batchOf('after'), 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await backend.produce('damaged', 1, batchOf('after'), 1)).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);

    await backend.deleteTopic('damaged');
    const ready = await fetch(`${server.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', ready: true, partitionsOpen: 1, partitionsTotal: 1, partitionsOffline: 0 });
  });
});
