/**
 * What the log-input benchmarks (bench/macro/syslog-tcp.ts, http-ingest.ts, tail-file.ts) share:
 * a `brook serve` process with its listeners read from its ready lines, the record count of a
 * topic over the Kafka protocol (the sum of its partitions' high watermarks: records in the log),
 * and waiting until that count is reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATEST_TIMESTAMP } from '../embedded/backend.js';
import { NetworkBackend } from '../embedded/network-backend.js';
import { stop } from './processes.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BROOK = path.join(REPO, 'bin/brook');
const SERVER_MAIN = path.join(REPO, 'dist/src/server/main.js');

export interface BrookServe {
  child: ChildProcess;
  dataDir: string;
  kafka: string;
  http: string | null;
  syslog: string[];
  stop(): Promise<void>;
}

/** `brook serve --port 0` over a fresh temp data dir, with `args`; resolves once every listener printed its line. */
export async function startBrookServe(args: string[]): Promise<BrookServe> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-inputs-'));
  const child = spawn(process.execPath, [SERVER_MAIN, '--port', '0', '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const syslogCount = args.filter((a) => a === '--syslog').length;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const kafka = /listening on (\S+)/.exec(stdout)?.[1];
    const http = /^http on (\S+)$/m.exec(stdout)?.[1] ?? null;
    const syslog = [...stdout.matchAll(/^syslog on (\S+)$/gm)].map((m) => m[1]!);
    if (kafka !== undefined && syslog.length === syslogCount && (http !== null || !args.includes('--http'))) {
      return {
        child, dataDir, kafka, http, syslog,
        async stop() {
          await stop(child, 30_000);
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(child);
      throw new Error(`brook serve did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records in the log of `topic` (0 while it does not exist). */
export async function topicRecordCount(backend: NetworkBackend, topic: string): Promise<number> {
  const described = await backend.describeTopic(topic);
  if (described === undefined) return 0;
  let count = 0;
  for (let partition = 0; partition < described.partitionCount; partition++) {
    const answer = await backend.listOffset(topic, partition, LATEST_TIMESTAMP);
    count += Math.max(answer.offset, 0);
  }
  return count;
}

/** Polls (every 20 ms) until `topic` holds `count` records; resolves with process.hrtime.bigint() at that moment. */
export async function waitForRecordCount(kafka: string, topic: string, count: number, timeoutMs = 600_000): Promise<bigint> {
  const backend = await NetworkBackend.connect(kafka, { autoCreateTopics: false });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = process.hrtime.bigint();
      const have = await topicRecordCount(backend, topic);
      if (have >= count) return now;
      if (Date.now() > deadline) throw new Error(`${topic} reached ${have} of ${count} records`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await backend.close();
  }
}

/** The median of `values` with its spread, e.g. "412,000 (380,000-430,000)". */
export function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted[sorted.length >> 1]!;
  return `${Math.round(mid).toLocaleString('en-US')} (${Math.round(sorted[0]!).toLocaleString('en-US')}-${Math.round(sorted.at(-1)!).toLocaleString('en-US')})`;
}
