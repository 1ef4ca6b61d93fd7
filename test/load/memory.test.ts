/**
 * Memory under pressure, one real server process (dist/: run `npx tsc -p tsconfig.json` first):
 * a 200 MiB backlog, then 200 producer and 200 consumer connections for 20 s — 100 consumers read
 * the backlog with fetch.max.bytes = 50 MiB, 60 lag (64 KiB fetches with pauses), 40 stall (send a
 * 50 MiB fetch and read nothing for 3 s). Without a server-wide bound the stalled and reading
 * consumers alone could pin 140 x 50 MiB = 7 GiB; the server's peak RSS (VmHWM) must stay under
 * the bound the design gives (bench/macro/memory.ts `memoryBound`: idle RSS + rings + fetch
 * budget + two batches per consumer + produce requests in flight + a fixed runtime allowance).
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runMemoryScenario } from '../../bench/macro/memory.js';

const MiB = 1024 * 1024;

describe('server memory under 400 connections and a 200 MiB backlog', () => {
  it('keeps peak RSS under the documented bound while every consumer and producer makes progress', async () => {
    const report = await runMemoryScenario({
      backlogBytes: 200 * MiB,
      partitionCount: 4,
      producerCount: 200,
      consumerCount: 200,
      loadMs: 20_000,
    });
    console.log(formatReport(report));
    expect(report.serverAlive).toBe(true);
    // The load really happened: the backlog was read several times over, producers kept acking.
    expect(report.fetchedBytes).toBeGreaterThan(report.backlogBytes);
    expect(report.producedBatchCount).toBeGreaterThan(200);
    expect(report.peakRssBytes).toBeLessThanOrEqual(report.boundBytes);
  }, 600_000);
});
