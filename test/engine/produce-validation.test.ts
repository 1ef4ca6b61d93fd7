/**
 * ProduceValidation with its real piscina pool (dist/ must be built): large produces are checked
 * and recompressed in the pool, small ones inline, refusals come back as error codes, and a
 * partition's produces reach `append` in call order whichever path each took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Compression } from '../../src/protocol/compression.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_COMPRESSION_MASK, decodeRecords, encodeRecordBatch, readBatchHeader } from '../../src/protocol/record-batch.js';
import { ProduceValidation } from '../../src/engine/produce-validation.js';
import type { ProduceResult } from '../../src/engine/broker-types.js';
import { DEFAULT_LOG_CONFIG, resolveLogConfig } from '../../src/storage/log-config.js';
import { withHeader } from '../storage/lying-batches.js';

const validations: ProduceValidation[] = [];
afterEach(async () => {
  await Promise.all(validations.splice(0).map((v) => v.close()));
});

function make(poolMinBytes: number): ProduceValidation {
  const validation = new ProduceValidation({ poolMinBytes });
  validations.push(validation);
  return validation;
}

function batch(tag: string, count: number, compression: number = Compression.none): Buffer {
  return encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${tag}${i}`), value: Buffer.from(`${tag} value ${i} `.repeat(8)) })), { compression });
}

const ok = (appended: Buffer[]) => async (batches: Buffer): Promise<ProduceResult> => {
  appended.push(batches);
  return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: appended.length - 1, logAppendTimeMs: -1, logStartOffset: 0 };
};

describe('ProduceValidation', () => {
  it('recompresses in the pool above the threshold and inline below it, with the same result', async () => {
    const zstdTopic = resolveLogConfig({ 'compression.type': 'zstd' });
    const input = batch('a', 200);
    const viaPool: Buffer[] = [];
    const pooled = make(1);
    await pooled.produce('t\0p', input, zstdTopic, ok(viaPool));
    expect(pooled.poolRunCount).toBe(1);
    const inline: Buffer[] = [];
    const direct = make(1 << 30);
    await direct.produce('t\0p', input, zstdTopic, ok(inline));
    expect(direct.poolRunCount).toBe(0);
    expect(viaPool[0]).toEqual(inline[0]);
    expect(readBatchHeader(viaPool[0]!, 0).attributes & ATTR_COMPRESSION_MASK).toBe(Compression.zstd);
    expect(decodeRecords(viaPool[0]!)).toEqual(decodeRecords(input));
  });

  it('leaves uncompressed batches of a `producer` topic alone: no pool, the same buffer', async () => {
    const validation = make(1);
    const appended: Buffer[] = [];
    const input = batch('b', 5);
    await validation.produce('t\0p', input, DEFAULT_LOG_CONFIG, ok(appended));
    expect(appended[0]).toBe(input);
    expect(validation.poolRunCount).toBe(0);
  });

  it('answers a lying compressed batch checked in the pool with INVALID_RECORD and appends nothing', async () => {
    const validation = make(1);
    const appended: Buffer[] = [];
    const lying = withHeader(batch('c', 3, Compression.lz4), { recordsCount: 1, lastOffsetDelta: 0 });
    const result = await validation.produce('t\0p', lying, DEFAULT_LOG_CONFIG, ok(appended));
    expect(result.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(validation.poolRunCount).toBe(1);
    expect(appended).toEqual([]);
  });

  it('hands a partition\'s produces to append in call order across pool and inline paths', async () => {
    const validation = make(16 * 1024);
    const order: string[] = [];
    const config = resolveLogConfig({ 'compression.type': 'gzip' });
    const produces: Promise<ProduceResult>[] = [];
    for (let i = 0; i < 12; i++) {
      const input = i % 3 === 0 ? batch(`big${i}-`, 400) : batch(`small${i}-`, 1); // big ones go to the pool
      produces.push(validation.produce('t\0p', input, config, async (b) => {
        order.push(decodeRecords(b)[0]!.key!.toString());
        return { errorCode: 0, errorMessage: null, baseOffset: order.length - 1, logAppendTimeMs: -1, logStartOffset: 0 };
      }));
    }
    await Promise.all(produces);
    expect(validation.poolRunCount).toBe(4);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `big${i}-0` : `small${i}-0`)));
  });
});
