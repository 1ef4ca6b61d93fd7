/**
 * `brook streams run|query|status` as a user runs them: a real process over a data dir on a
 * terminal (live view), queried while it runs (a key, time ranges, everything), stopped with Ctrl-C
 * (commit, exit 0); and bad input getting one clear line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../groups-e2e/helpers.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/brook');
const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/log-level-counts.js');
const env = { ...process.env, BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function brook(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env, timeout: 60_000, killSignal: 'SIGKILL' });
}

describe('brook streams', () => {
  it('runs a topology module on a terminal with live progress, answers queries while running, and commits and exits 0 on Ctrl-C', async () => {
    const dataDir = tempDir('brook-streams-cli-');
    const stateDir = tempDir('brook-streams-cli-state-');
    expect(brook(['-d', dataDir, 'topics', 'create', 'logs', '--partitions', '2']).status).toBe(0);
    // Stream time is per task: each grouping key gets a line at 12:01:30, which closes its 12:00 minute (+10 s grace).
    const lines = ['12:00:05 web ERROR a', '12:00:07 web ERROR b', '12:00:30 db ERROR c', '12:01:30 web INFO d', '12:01:30 web ERROR e', '12:01:30 db ERROR f']
      .map((l) => `2024-05-01T${l.slice(0, 8)}.000Z${l.slice(8)}`).join('\n') + '\n';
    expect(brook(['-d', dataDir, 'produce', 'logs'], lines).status).toBe(0);
    // `script` gives the process a terminal; Ctrl-C is the byte 0x03 typed into it. Commits happen
    // only at Ctrl-C (the interval is far away), so the committed offsets below prove that commit.
    // `exec`: script runs the command through $SHELL -c, and dash (/bin/sh, when SHELL is unset as
    // in CI) stays as its parent in the terminal's foreground group; Ctrl-C then killed the shell
    // too, and script reported the shell's 130 whatever brook did.
    const command = `exec "${process.execPath}" "${BIN}" -d "${dataDir}" streams run "${EXAMPLE}" --state-dir "${stateDir}" --threads 1 --status-interval-ms 100 --commit-interval-ms 3600000`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, CI: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let screen = '';
    child.stdout!.on('data', (c: Buffer) => (screen += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const statuses = () => {
      const result = brook(['streams', 'status', 'log-level-counts', '--state-dir', stateDir, '--json']);
      return result.status === 0 ? (JSON.parse(result.stdout) as Array<{ state: string; totals: { processedRecords: number; tasks: number } }>) : [];
    };
    await waitFor('all six lines processed', () => statuses().some((s) => s.state === 'RUNNING' && s.totals.processedRecords >= 12), 60_000); // 6 lines + 6 repartitioned
    expect(statuses()[0]!.totals.tasks).toBe(4);
    // The live view: a summary line and a line per task, redrawn in place (cursor up, clear line).
    await waitFor('the live view redrawn with every record counted', () => /\x1b\[\d+F\x1b\[2Klog-level-counts {2}RUNNING .*processed 12 /.test(screen));
    expect(screen).toMatch(/application 'log-level-counts' started/);
    expect(screen).toMatch(/\x1b\[2K {2}task 1_1 +thread 0 {2}running +lag +0 {2}processed/);

    const query = (...args: string[]) => brook(['streams', 'query', 'log-level-counts', 'level-counts', ...args, '--state-dir', stateDir, '--json']);
    const windows = (...args: string[]) => (JSON.parse(query(...args).stdout) as { kind: string; entries: Array<{ key: string; value: number; window: { start: number } }> }).entries
      .map((e) => [e.key, e.value, new Date(e.window.start).toISOString().slice(11, 16)]);
    await waitFor('the counts to be queryable', () => query('web ERROR').status === 0);
    expect((JSON.parse(query('web ERROR').stdout) as { kind: string }).kind).toBe('window');
    expect(windows('web ERROR')).toEqual([['web ERROR', 2, '12:00'], ['web ERROR', 1, '12:01']]);
    const at = (hhmm: string) => String(Date.parse(`2024-05-01T${hhmm}:00.000Z`));
    expect(windows('web ERROR', '--time-from', at('12:01'))).toEqual([['web ERROR', 1, '12:01']]); // window fetch, one key
    expect(windows('--time-from', at('12:00'), '--time-to', at('12:00')).sort()).toEqual([['db ERROR', 1, '12:00'], ['web ERROR', 2, '12:00']]); // every key
    const all = brook(['streams', 'query', 'log-level-counts', 'level-counts', '--state-dir', stateDir]);
    expect(all.stdout.trim().split('\n')).toHaveLength(5); // web ERROR x2, db ERROR x2, web INFO

    child.stdin!.write('\x03');
    // The screen (stdout and stderr through the terminal) says why, should the exit code differ.
    expect(await exited, screen.slice(-2000)).toBe(0);
    expect(screen).toMatch(/stopped after processing 12 records \(committed\)/);
    // Both sources (the input and the repartition topic) committed through their 6 records.
    const group = JSON.parse(brook(['-d', dataDir, 'groups', 'describe', 'log-level-counts', '--json']).stdout) as { offsets: Array<{ topic: string; committedOffset: number; lag: number | null }> };
    const committed = (topics: (topic: string) => boolean) => group.offsets.filter((o) => topics(o.topic) && o.lag === 0).reduce((sum, o) => sum + o.committedOffset, 0);
    expect(committed((t) => t === 'logs')).toBe(6);
    expect(committed((t) => t.endsWith('-repartition'))).toBe(6);
    // The minute 12:00 closed for both ERROR keys: its final counts were emitted, once each.
    const out = brook(['-d', dataDir, 'consume', 'log-level-counts', '--from-beginning', '-K', ' = ']);
    expect(out.stdout.trim().split('\n').sort()).toEqual(['db ERROR 2024-05-01T12:00:00.000Z = 1', 'web ERROR 2024-05-01T12:00:00.000Z = 2']);
    expect(fs.readdirSync(path.join(stateDir, 'log-level-counts')).filter((n) => n.endsWith('.sock'))).toEqual([]); // the query socket is gone
  });

  it('refuses bad input with one line and exit code 1', () => {
    const stateDir = tempDir('brook-streams-cli-state-');
    const moduleDir = tempDir('brook-streams-cli-module-');
    const noId = path.join(moduleDir, 'no-id.mjs');
    fs.writeFileSync(noId, 'export function topology(builder) { builder.stream("x").to("y"); }\n');
    const notTopology = path.join(moduleDir, 'not-topology.mjs');
    fs.writeFileSync(notTopology, 'export const config = { applicationId: "a" };\n');
    const cases: Array<[string[], RegExp]> = [
      [['-d', tempDir('brook-streams-cli-'), 'streams', 'run', noId], /has no config\.applicationId; pass --application-id/],
      [['-d', tempDir('brook-streams-cli-'), 'streams', 'run', path.join(moduleDir, 'missing.js')], /cannot load the topology module/],
      [['-d', tempDir('brook-streams-cli-'), 'streams', 'run', notTopology], /must export a function topology\(builder\)/],
      [['-d', tempDir('brook-streams-cli-'), 'streams', 'run', noId, '--application-id', 'bad id!'], /applicationId must be 1-200 characters/],
      [['-d', tempDir('brook-streams-cli-'), 'streams', 'run', noId, '--application-id', 'needs-x'], /source topic 'x' does not exist/],
      [['streams', 'query', 'nothing-runs', 'store', '--state-dir', stateDir], /no running process of application 'nothing-runs'/],
      [['streams', 'run', noId, '--threads', '0'], /must be a positive integer/],
    ];
    for (const [args, message] of cases) {
      const result = brook(args);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toMatch(/^brook: /);
    }
    const help = brook(['streams', '--help']);
    expect(help.stdout).toMatch(/run \[options\] <app>/);
    expect(help.stdout).toMatch(/query \[options\] <app> <store> \[key\]/);
  });
});
