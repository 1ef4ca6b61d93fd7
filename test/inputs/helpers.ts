/**
 * What the input tests share: a real `brook serve` with inputs (its HTTP and syslog addresses read
 * from its ready lines), a real `brook tail` process, and reading a topic back over the Kafka
 * protocol (the embedded Consumer over a NetworkBackend).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Consumer, type ConsumerRecord } from '../../src/embedded/consumer.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { start, type ServerProcess } from '../helpers/server-process.js';

export const BROOK = path.resolve(import.meta.dirname, '../../bin/brook');

export interface Serve extends ServerProcess {
  httpUrl: string;
  /** The syslog listeners in the order given, e.g. udp://127.0.0.1:41234. */
  syslog: string[];
}

/** `brook serve --port 0 ...args`; waits for the http/syslog ready lines the args ask for. */
export async function startServe(args: string[], dataDir?: string): Promise<Serve> {
  const server = await start({ args, dataDir });
  const syslogCount = args.filter((arg) => arg === '--syslog').length;
  const wantsHttp = args.includes('--http');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const out = server.stdout();
    const syslog = [...out.matchAll(/^syslog on (\S+)$/gm)].map((m) => m[1]!);
    const http = /^http on (\S+)$/m.exec(out)?.[1];
    if (syslog.length === syslogCount && (!wantsHttp || http !== undefined)) return { ...server, httpUrl: http ?? '', syslog };
    if (Date.now() > deadline) throw new Error(`serve did not print its listeners: ${out} ${server.stderr()}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Host and port of `udp://127.0.0.1:1234`. */
export function hostPort(url: string): { host: string; port: number } {
  const match = /^\w+:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(url)!;
  return { host: match[1]!, port: Number(match[2]) };
}

/** Every record of every partition of `topic` up to the high watermarks ([] if it does not exist). */
export async function readTopic(address: string, topic: string): Promise<ConsumerRecord[]> {
  const backend = await NetworkBackend.connect(address, { autoCreateTopics: false });
  try {
    if ((await backend.describeTopic(topic)) === undefined) return [];
    const consumer = new Consumer(backend, { topic, from: 'beginning', follow: false });
    const records: ConsumerRecord[] = [];
    for await (const record of consumer) records.push(record);
    await consumer.close();
    return records;
  } finally {
    await backend.close();
  }
}

/** Values as text, in offset order per partition. */
export function values(records: ConsumerRecord[]): string[] {
  return records.map((record) => record.value?.toString('utf8') ?? '');
}

export function header(record: ConsumerRecord, key: string): string | undefined {
  return record.headers.find((h) => h.key === key)?.value?.toString('utf8');
}

/** Polls until `topic` holds at least `count` records (generous deadline: a wait, not a speed test). */
export async function waitForRecords(address: string, topic: string, count: number, timeoutMs = 90_000): Promise<ConsumerRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await readTopic(address, topic);
    if (records.length >= count) return records;
    if (Date.now() > deadline) throw new Error(`${topic} has ${records.length} records, expected ${count}`);
    await sleep(200);
  }
}

export interface BrookProcess {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every runBrook process still alive (afterAll: a failed test must not leave one behind). */
export async function killBrookProcesses(): Promise<void> {
  const exits = [...running].map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(null);
    child.once('exit', resolve);
    child.kill('SIGKILL');
  }));
  await Promise.all(exits);
  running.clear();
}

/** A long-running `node bin/brook <args>` (e.g. `tail`). */
export function runBrook(args: string[]): BrookProcess {
  const child = spawn(process.execPath, [BROOK, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

/** Whether a command exists here; with CI=true a missing one fails the suite (CI installs it). */
export function requireTool(command: string, versionArgs: string[], install: string): boolean {
  const found = spawnSync(command, versionArgs, { encoding: 'utf8' }).status === 0;
  if (!found) {
    if (process.env.CI === 'true') throw new Error(`${command} is not installed, and CI=true requires it (${install})`);
    console.warn(`SKIPPING: ${command} is not installed (${install})`);
  }
  return found;
}
