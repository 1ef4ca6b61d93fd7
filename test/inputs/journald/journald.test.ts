/**
 * `brook tail --journald` with the real journalctl, over a journal file written by Debian's
 * systemd-journal-remote (no journald runs in a test machine or container): entries become
 * records with every field kept, keyed by a field; the cursor is checkpointed, so a clean restart
 * resumes after the last acknowledged entry (nothing lost or repeated, also with more entries than
 * journalctl -f would show by default).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { killBrookProcesses, readTopic, requireTool, runBrook, sleep, startServe, waitForRecords, type BrookProcess, type Serve } from '../helpers.js';

const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const journalctlFound = requireTool('journalctl', ['--version'], 'apt-get install systemd');
const remoteFound = fs.existsSync(JOURNAL_REMOTE) || requireTool(JOURNAL_REMOTE, ['--version'], 'apt-get install systemd-journal-remote');
// journalctl -f follows the current boot: the entries carry this machine's boot id.
const BOOT_ID = fs.existsSync('/proc/sys/kernel/random/boot_id') ? fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '') : '';

/** Appends entries (journal export format) to `file` with systemd-journal-remote. */
function writeEntries(file: string, from: number, to: number): void {
  let text = '';
  for (let i = from; i <= to; i++) {
    text += `__REALTIME_TIMESTAMP=${1_700_000_000_000_000 + i * 1000}\n__MONOTONIC_TIMESTAMP=${i}\n_BOOT_ID=${BOOT_ID}\n`;
    text += `_HOSTNAME=host${i % 2}\n_SYSTEMD_UNIT=app${i % 3}.service\nMESSAGE=entry ${i}\n\n`;
  }
  const result = spawnSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`systemd-journal-remote failed: ${result.stderr}`);
}

describe.skipIf(!journalctlFound || !remoteFound)('brook tail --journald', () => {
  let serve: Serve;

  beforeAll(async () => {
    serve = await startServe([]);
  });

  afterAll(async () => {
    await killBrookProcesses();
    expect(await serve?.stop()).toBe(0);
  });

  async function tailJournal(dir: string, journal: string): Promise<BrookProcess> {
    const run = runBrook(['--broker', serve.address, 'tail', '--journald', '--topic', 'journal.{_SYSTEMD_UNIT}', '--key-field', '_HOSTNAME',
      `--journald-arg=--file=${journal}`, '--checkpoint-dir', path.join(dir, 'state'), '--name', 'journal-test']);
    while (!/following the journal/.test(run.stderr())) {
      if (run.child.exitCode !== null) throw new Error(`brook tail --journald exited: ${run.stderr()}`);
      await sleep(50);
    }
    return run;
  }

  async function allEntries(): Promise<Array<{ key: string; entry: Record<string, string>; timestamp: number }>> {
    const records = [];
    for (const unit of ['app0.service', 'app1.service', 'app2.service']) records.push(...(await readTopic(serve.address, `journal.${unit}`)));
    return records.map((r) => ({ key: r.key!.toString(), entry: JSON.parse(r.value!.toString()) as Record<string, string>, timestamp: r.timestamp }));
  }

  async function waitForEntries(count: number): Promise<void> {
    for (let attempt = 0; (await allEntries()).length < count; attempt++) {
      if (attempt > 300) throw new Error(`fewer than ${count} journal entries arrived`);
      await sleep(200);
    }
  }

  it('writes entries with their fields, routed by unit and keyed by host, and resumes at the checkpointed cursor', async () => {
    const dir = tempDir('brook-journald-');
    const journal = path.join(dir, 'test.journal');
    writeEntries(journal, 1, 30);
    let run = await tailJournal(dir, journal);
    await waitForEntries(30);
    writeEntries(journal, 31, 40); // followed live
    await waitForEntries(40);
    expect(run.child.kill('SIGTERM')).toBe(true);
    expect(await run.exited).toBe(0);
    const checkpoint = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'journal-test.json'), 'utf8')) as { cursor: string };
    expect(checkpoint.cursor).toMatch(/^s=/);

    writeEntries(journal, 41, 70); // 30 entries while stopped: more than journalctl -f shows by default
    run = await tailJournal(dir, journal);
    await waitForEntries(70);
    await sleep(1000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    const entries = await allEntries();
    const messages = entries.map((e) => e.entry.MESSAGE).sort();
    expect(messages).toEqual(Array.from({ length: 70 }, (_, i) => `entry ${i + 1}`).sort());
    const third = entries.find((e) => e.entry.MESSAGE === 'entry 3')!;
    expect(third.key).toBe('host1');
    expect(third.entry).toMatchObject({ _SYSTEMD_UNIT: 'app0.service', _HOSTNAME: 'host1' });
    expect(third.entry.__CURSOR).toMatch(/^s=/);
    expect(third.timestamp).toBe(Math.floor((1_700_000_000_000_000 + 3000) / 1000));
  });
});
