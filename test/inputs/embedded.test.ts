/**
 * The inputs in embedded mode: Brook.open({ inputs, http }) runs syslog and file inputs and HTTP
 * ingest in the application's process, writing into its own data dir; close() stops the inputs
 * first, so the tail checkpoint holds every line read.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { tempDir } from '../helpers/temp-dir.js';

async function readAll(brook: Brook, topic: string): Promise<string[]> {
  const consumer = brook.consumer({ topic, from: 'beginning', follow: false });
  const values: string[] = [];
  for await (const record of consumer) values.push(record.value!.toString());
  await consumer.close();
  return values;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; !(await check()); attempt++) {
    if (attempt > 600) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('inputs in Brook.open', () => {
  it('takes syslog, tailed lines and HTTP posts into its topics, and checkpoints on close', async () => {
    const dir = tempDir('brook-embedded-inputs-');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    fs.writeFileSync(path.join(logs, 'a.log'), 'one\ntwo\n');
    const checkpointFile = path.join(dir, 'tail.json');
    const brook = await Brook.open({
      dataDir: path.join(dir, 'data'),
      handleSignals: false,
      http: { port: 0 },
      inputs: {
        syslog: [{ listen: 'udp://127.0.0.1:0', topic: 'sys' }],
        tail: [{ paths: [path.join(logs, '*.log')], topic: 'files', checkpointFile }],
      },
    });
    try {
      const sender = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => sender.send('<13>1 - host1 app - - - from udp', brook.inputs!.syslog[0]!.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
      sender.close();
      const posted = await fetch(`${brook.http!.url}/topics/web`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'from http\n' });
      expect(posted.status).toBe(200);
      await until(async () => (await readAll(brook, 'sys')).length === 1 && (await readAll(brook, 'files')).length === 2);
      expect(JSON.parse((await readAll(brook, 'sys'))[0]!)).toMatchObject({ hostname: 'host1', message: 'from udp' });
      expect(await readAll(brook, 'files')).toEqual(['one', 'two']);
      expect(await readAll(brook, 'web')).toEqual(['from http']);
    } finally {
      await brook.close();
    }
    const checkpoint = JSON.parse(fs.readFileSync(checkpointFile, 'utf8')) as { files: Array<{ position: number }> };
    expect(checkpoint.files.map((f) => f.position)).toEqual([8]);
  });
});
