/**
 * The syslog TCP encoder on one thread, without sockets: lines of three shapes read in 64 KiB
 * pieces (as a socket gives them), framed and encoded into record batches, against the general
 * path (each line parsed as a string by generalRecord, its JSON encoded to bytes) as the baseline
 * measured in the same run. Shapes:
 *   rfc5424      <134>1 2024-05-01T12:00:00.000001Z host1 bench 4242 ID47 - message …
 *   rfc5424+sd   the same with logger's default [timeQuality tzKnown="1" isSynced="0"]
 *   rfc3164      <134>Dec  7 19:37:00 host1 bench[4242]: message …
 * Figures: ns per line, medians of alternating rounds; ratio = general / encoder (how many times
 * faster the byte path is). JSON values; `raw` as well for the encoder.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/micro/syslog-encoder.bench.js [lines] [rounds]`.
 */
import { pathToFileURL } from 'node:url';
import { describeMachine, machineInfo, median } from '../../src/bench-lib/stats.js';
import { longLines } from '../../src/inputs/long-lines.js';
import { Routing } from '../../src/inputs/routing.js';
import { InputStats } from '../../src/inputs/stats.js';
import { SyslogBatchEncoder } from '../../src/inputs/syslog/batch-encoder.js';
import { SyslogFramer } from '../../src/inputs/syslog/framing.js';
import { generalRecord, NO_HEADERS, type SyslogFormat } from '../../src/inputs/syslog/records.js';

const READ_BYTES = 64 * 1024;
const NOW_MS = Date.UTC(2026, 11, 7, 20);

const SHAPES: Record<string, (i: number) => string> = {
  rfc5424: (i) => `<134>1 2024-05-01T12:00:00.${String(i % 1_000_000).padStart(6, '0')}Z host1 bench 4242 ID47 - message ${String(i).padStart(9, '0')} lorem ipsum dolor sit\n`,
  'rfc5424+sd': (i) => `<134>1 2024-05-01T12:00:00.${String(i % 1_000_000).padStart(6, '0')}Z host1 bench 4242 ID47 [timeQuality tzKnown="1" isSynced="0"] message ${String(i).padStart(9, '0')} lorem ipsum dolor sit\n`,
  rfc3164: (i) => `<134>Dec  7 19:${String((i >> 14) % 60).padStart(2, '0')}:${String((i >> 8) % 60).padStart(2, '0')} host1 bench[4242]: message ${String(i).padStart(9, '0')} lorem ipsum dolor sit\n`,
};

function linesOf(shape: (i: number) => string, count: number): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < count; start += 10_000) {
    let text = '';
    for (let i = start; i < Math.min(count, start + 10_000); i++) text += shape(i);
    parts.push(Buffer.from(text));
  }
  return Buffer.concat(parts);
}

/** ns per line through the batch encoder (byte paths first); checks every line became a record. */
function encoderRound(data: Buffer, count: number, format: SyslogFormat): number {
  const encoder = new SyslogBatchEncoder(format, new InputStats('bench'), new Routing({ topic: 'syslog', keyField: 'hostname' }));
  const framer = new SyslogFramer(longLines(), { frame: (s, a, b, o) => encoder.add(s, a, b, o, NOW_MS), skipped() {} });
  const limits = { partitionCount: 1, batchBytesMax: 1024 * 1024 };
  let records = 0;
  const started = process.hrtime.bigint();
  for (let pos = 0, reads = 0; pos < data.length; pos += READ_BYTES, reads++) {
    const chunk = Buffer.from(data.subarray(pos, Math.min(data.length, pos + READ_BYTES))); // a fresh buffer per read
    encoder.begin(chunk, limits);
    framer.push(chunk);
    if (reads % 4 === 3) for (const batch of encoder.take()) records += batch.recordCount;
  }
  for (const batch of encoder.take()) records += batch.recordCount;
  const ns = Number(process.hrtime.bigint() - started) / count;
  if (records !== count) throw new Error(`encoded ${records} records of ${count} lines`);
  return ns;
}

/** ns per line through the general path: generalRecord per line and its JSON as bytes. */
function generalRound(data: Buffer, count: number): number {
  const stats = new InputStats('bench');
  let bytes = 0;
  const framer = new SyslogFramer(longLines(), {
    frame: (source, start, end) => {
      const { text } = generalRecord(source.subarray(start, end), NO_HEADERS, NOW_MS, 'json', stats);
      bytes += Buffer.from(text!, 'utf8').length;
    },
    skipped() {},
  });
  const started = process.hrtime.bigint();
  for (let pos = 0; pos < data.length; pos += READ_BYTES) framer.push(Buffer.from(data.subarray(pos, Math.min(data.length, pos + READ_BYTES))));
  const ns = Number(process.hrtime.bigint() - started) / count;
  if (stats.counts.unparsedCount > 0 || bytes === 0) throw new Error('the general path did not parse the lines');
  return ns;
}

export interface EncoderBenchResult {
  shape: string;
  encoderJsonNs: number;
  encoderRawNs: number;
  generalJsonNs: number;
  ratio: number;
}

export async function run({ lines: count = 300_000, rounds = 5 }: { lines?: number; rounds?: number } = {}): Promise<EncoderBenchResult[]> {
  console.log(`syslog encoder, ${count.toLocaleString('en-US')} lines per shape, ${rounds} rounds; ${describeMachine(machineInfo())}`);
  const results: EncoderBenchResult[] = [];
  for (const [shape, make] of Object.entries(SHAPES)) {
    const data = linesOf(make, count);
    const json: number[] = [];
    const raw: number[] = [];
    const general: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so neither always runs on a warmer or colder heap.
      if (round % 2 === 1) general.push(generalRound(data, count));
      json.push(encoderRound(data, count, 'json'));
      raw.push(encoderRound(data, count, 'raw'));
      if (round % 2 === 0) general.push(generalRound(data, count));
    }
    const result = { shape, encoderJsonNs: median(json), encoderRawNs: median(raw), generalJsonNs: median(general), ratio: median(general) / median(json) };
    results.push(result);
    console.log(`${shape.padEnd(11)} encoder JSON ${result.encoderJsonNs.toFixed(0)} ns/line, raw ${result.encoderRawNs.toFixed(0)}; ` +
      `general path (baseline) JSON ${result.generalJsonNs.toFixed(0)} ns/line; ${result.ratio.toFixed(1)}× faster`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run({ lines: Number(process.argv[2] ?? 300_000), rounds: Number(process.argv[3] ?? 5) });
}
