/**
 * A process using the embedded API and ended by SIGINT / SIGTERM closes Brook gracefully: every
 * acknowledged record is there, the partition was closed cleanly (its clean-shutdown marker), the
 * data dir lock is released, and the process still ends by the signal. Runs compiled dist/ in a
 * child process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { tempDir } from '../helpers/temp-dir.js';

const INDEX = path.resolve(import.meta.dirname, '../../dist/src/index.js');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Child: opens Brook, sends `count` records, prints "acked <n>" once all resolved, then idles. */
const CHILD = `
const { Brook } = await import(process.argv[1]);
const brook = await Brook.open({ dataDir: process.argv[2] });
const producer = brook.producer({ lingerMs: 1 });
const count = Number(process.argv[3]);
await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: 'app', value: 'record ' + i })));
process.stdout.write('acked ' + count + '\\n');
setInterval(() => {}, 1000); // an application that keeps running until signalled
`;

describe('Brook.open and process signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`closes gracefully on ${signal}: acknowledged records kept, clean-shutdown marker written, lock released, exit by the signal`, async () => {
      const dataDir = tempDir('brook-signals-');
      dirs.push(dataDir);
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, INDEX, dataDir, '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
      await new Promise<void>((resolve, reject) => {
        let stdout = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('acked 500')) resolve();
        });
        void exited.then(() => reject(new Error(`child exited early: ${stderr}`)));
      });
      child.kill(signal);
      expect(await exited).toEqual({ code: null, signal });
      expect(stderr).toBe('');
      expect(fs.existsSync(path.join(dataDir, 'app-0', '.clean-shutdown'))).toBe(true);

      const brook = await Brook.open({ dataDir, handleSignals: false }); // the lock was released
      try {
        const values: string[] = [];
        for await (const record of brook.consumer({ topic: 'app', from: 'beginning', follow: false })) values.push(record.value!.toString());
        expect(values).toEqual(Array.from({ length: 500 }, (_, i) => `record ${i}`));
      } finally {
        await brook.close();
      }
    });
  }
});
