/**
 * Where the produce record pass (storage/log-validator.ts) should run: inline on the main thread
 * or in ProduceValidation's piscina pool. For produces of 4 KiB .. 1 MiB, two cases:
 *   check lz4      an lz4 batch to a `producer` topic: decompress and walk the records
 *   zstd recompress an uncompressed batch to a compression.type=zstd topic
 * Figures, medians of sequential produces (one in flight, so latency is not queueing):
 *   inline ms       main-thread time of the pass done inline (the baseline)
 *   pool ms         round trip through the pool, as the producer waits for it
 *   pool main ms    main-thread busy time per pooled produce (event loop utilisation)
 *   main saved      inline ms / pool main ms: how much main-thread work the pool takes away
 * Run: `node dist/bench/micro/produce-validation.bench.js` (BENCH_ROUNDS=n to change 40).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ProduceValidation } from '../../src/engine/produce-validation.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Compression } from '../../src/protocol/compression.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { describeMachine, machineInfo, median, round } from '../../src/bench-lib/stats.js';
import { DEFAULT_LOG_CONFIG, resolveLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { recordPolicyOf, targetCompressionOf, validateProduce } from '../../src/storage/log-validator.js';

export interface ValidationBenchResult {
  name: string;
  batchKiB: number;
  inlineMs: number;
  poolMs: number;
  poolMainMs: number;
  mainSaved: number;
}

/** Log-like records of about 200 bytes: compressible like real lines, not a run of one byte. */
function batchOf(bytes: number, compression: number): Buffer {
  const records = [];
  for (let i = 0, total = 0; total < bytes; i++) {
    const value = Buffer.from(`2024-05-01T12:00:${String(i % 60).padStart(2, '0')}Z host-${i % 17} GET /api/v1/items/${(i * 7919) % 10007} status=${200 + (i % 5)} took=${(i * 31) % 997}ms agent=bench-${i % 3}`);
    records.push({ key: Buffer.from(`k${i % 101}`), value });
    total += value.length + 12;
  }
  return encodeRecordBatch(records, { compression });
}

async function runCase(name: string, batch: Buffer, config: LogConfig, rounds: number): Promise<ValidationBenchResult> {
  const policy = recordPolicyOf(config);
  const target = targetCompressionOf(config);
  const inline: number[] = [];
  for (let i = 0; i < rounds + 3; i++) {
    const start = performance.now();
    const out = validateProduce(batch, policy, Date.now(), target);
    if (!Buffer.isBuffer(out)) throw new Error(`refused: ${out.errorMessage}`);
    if (i >= 3) inline.push(performance.now() - start);
  }
  const validation = new ProduceValidation({ poolMinBytes: 1 });
  const append = async () => ({ errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0 });
  try {
    for (let i = 0; i < 3; i++) await validation.produce('bench', batch, config, append); // start the thread
    const pool: number[] = [];
    const elu = performance.eventLoopUtilization();
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await validation.produce('bench', batch, config, append);
      pool.push(performance.now() - start);
    }
    const used = performance.eventLoopUtilization(elu);
    const poolMainMs = used.active / rounds;
    return {
      name,
      batchKiB: Math.round(batch.length / 1024),
      inlineMs: round(median(inline), 3),
      poolMs: round(median(pool), 3),
      poolMainMs: round(poolMainMs, 3),
      mainSaved: round(median(inline) / poolMainMs, 1),
    };
  } finally {
    await validation.close();
  }
}

export async function run(options: { rounds?: number } = {}): Promise<{ machine: ReturnType<typeof machineInfo>; results: ValidationBenchResult[] }> {
  const rounds = options.rounds ?? 40;
  const results: ValidationBenchResult[] = [];
  const zstdTopic = resolveLogConfig({ 'compression.type': 'zstd' });
  for (const kib of [4, 16, 64, 128, 256, 1024]) {
    results.push(await runCase('check lz4', batchOf(kib * 1024 * 3, Compression.lz4), DEFAULT_LOG_CONFIG, rounds));
    results.push(await runCase('zstd recompress', batchOf(kib * 1024, Compression.none), zstdTopic, rounds));
  }
  return { machine: machineInfo(), results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { machine, results } = await run({ rounds: Number(process.env.BENCH_ROUNDS ?? 40) });
  console.log(`produce validation: inline vs pool — ${describeMachine(machine)}`);
  console.table(results);
}
