/**
 * `brook streams run|query|status` as a user runs them: a real process over a data dir, queried
 * while it runs, stopped with SIGINT (commit, exit 0); and bad input getting one clear line.
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
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env, timeout: 60_000 });
}

describe('brook streams', () => {
  it('runs a topology module over a data dir, answers queries while running, and commits and exits 0 on SIGINT', async () => {
    const dataDir = tempDir('brook-streams-cli-');
    const stateDir = tempDir('brook-streams-cli-state-');
    expect(brook(['-d', dataDir, 'topics', 'create', 'logs', '--partitions', '2']).status).toBe(0);
    // Stream time is per task: each grouping key gets a line at 12:01:30, which closes its 12:00 minute (+10 s grace).
    const lines = ['12:00:05 web ERROR a', '12:00:07 web ERROR b', '12:00:30 db ERROR c', '12:01:30 web INFO d', '12:01:30 web ERROR e', '12:01:30 db ERROR f']
      .map((l) => `2024-05-01T${l.slice(0, 8)}.000Z${l.slice(8)}`).join('\n') + '\n';
    expect(brook(['-d', dataDir, 'produce', 'logs'], lines).status).toBe(0);
    const child = spawn(process.execPath, [BIN, '-d', dataDir, 'streams', 'run', EXAMPLE, '--state-dir', stateDir, '--threads', '1', '--json', '--status-interval-ms', '100'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const statuses = () => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { state: string; totals: { processedRecords: number } });
    await waitFor('all six lines processed', () => statuses().some((s) => s.state === 'RUNNING' && s.totals.processedRecords >= 12), 60_000); // 6 lines + 6 repartitioned
    expect(stderr).toMatch(/application 'log-level-counts' started/);

    await waitFor('the counts to be queryable', () => {
      const query = brook(['streams', 'query', 'log-level-counts', 'level-counts', 'web ERROR', '--state-dir', stateDir, '--json']);
      return query.status === 0 && (JSON.parse(query.stdout) as { entries: unknown[] }).entries.length > 0;
    });
    const answer = JSON.parse(brook(['streams', 'query', 'log-level-counts', 'level-counts', 'web ERROR', '--state-dir', stateDir, '--json']).stdout) as { kind: string; entries: Array<{ key: string; value: number; window: { start: number } }> };
    expect(answer.kind).toBe('window');
    expect(answer.entries.map((e) => [e.key, e.value, new Date(e.window.start).toISOString()])).toEqual([['web ERROR', 2, '2024-05-01T12:00:00.000Z'], ['web ERROR', 1, '2024-05-01T12:01:00.000Z']]);
    const all = brook(['streams', 'query', 'log-level-counts', 'level-counts', '--state-dir', stateDir]);
    expect(all.stdout.trim().split('\n')).toHaveLength(5); // web ERROR x2, db ERROR x2, web INFO
    const status = brook(['streams', 'status', 'log-level-counts', '--state-dir', stateDir, '--json']);
    expect((JSON.parse(status.stdout) as Array<{ totals: { tasks: number } }>)[0]!.totals.tasks).toBe(4);

    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/"type":"stopped"/);
    expect(stderr).toMatch(/stopped after processing .* records \(committed\)/);
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
