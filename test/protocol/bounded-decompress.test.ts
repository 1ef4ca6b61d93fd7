/**
 * Decompression of untrusted records sections is bounded: a small "zip bomb" is refused with
 * DecodeError rather than expanded, and honest data of every codec still round-trips.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import zstd from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import lz4 from 'lz4-napi';
import snappy from 'snappy';
import { compress, Compression, decompress } from '../../src/protocol/compression.js';
import { DecodeError } from '../../src/protocol/decode-error.js';

const MiB = 1024 * 1024;

afterEach(() => {
  vi.restoreAllMocks();
});
const zeros = Buffer.alloc(16 * MiB);

describe('bounded decompression', () => {
  it('round-trips honest data with every codec, also several zstd frames in a row', () => {
    const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i} ${(i * 7919) % 613}`).join('\n'));
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      expect(decompress(codec, compress(codec, text), text.length).equals(text)).toBe(true); // toEqual walks bytes one by one
    }
    const twoFrames = Buffer.concat([zstd.compress(text.subarray(0, 1000)), zstd.compress(text.subarray(1000))]);
    expect(decompress(Compression.zstd, twoFrames, text.length).equals(text)).toBe(true);
  });

  it.each([
    ['zstd with its size stated', () => zstd.compress(zeros)],
    ['lz4 frame', () => lz4.compressFrameSync(zeros)],
    ['raw snappy', () => snappy.compressSync(zeros)],
    ['xerial snappy', () => compress(Compression.snappy, zeros)],
    ['gzip', () => compress(Compression.gzip, zeros)],
  ] as const)('refuses %s that would expand past the bound', (_name, make) => {
    const bomb = make();
    expect(bomb.length).toBeLessThan(MiB);
    const codec = _name.startsWith('zstd') ? Compression.zstd : _name.startsWith('lz4') ? Compression.lz4 : _name.includes('snappy') ? Compression.snappy : Compression.gzip;
    expect(() => decompress(codec, bomb, MiB)).toThrow(DecodeError);
    if (codec !== Compression.gzip) expect(() => decompress(codec, bomb, MiB)).toThrow(/exceed 1048576 bytes/);
  });

  it('refuses an lz4 or stated-size zstd bomb from its headers, without running the decoder', () => {
    const lz4Decode = vi.spyOn(lz4, 'decompressFrameSync');
    const zstdDecode = vi.spyOn(zstdBinding.DCtx.prototype, 'decompress');
    const zstdStream = vi.spyOn(zstdBinding.DCtx.prototype, 'decompressStream');
    expect(() => decompress(Compression.lz4, lz4.compressFrameSync(zeros), MiB)).toThrow(/exceed/);
    expect(() => decompress(Compression.zstd, zstd.compress(zeros), MiB)).toThrow(/exceed/);
    expect([lz4Decode.mock.calls.length, zstdDecode.mock.calls.length, zstdStream.mock.calls.length]).toEqual([0, 0, 0]);
  });

  it('refuses a zstd stream without a stated size once it passes the bound', () => {
    // Fed in two steps, the frame cannot state its content size.
    const cctx = new zstdBinding.CCtx();
    const out = Buffer.alloc(zstdBinding.compressBound(zeros.length));
    let written = 0;
    const half = zeros.length / 2;
    let [, produced, consumed] = cctx.compressStream2(out, zeros.subarray(0, half), zstdBinding.EndDirective.continue);
    expect(consumed).toBe(half);
    written += produced;
    for (let remaining = 1, rest = zeros.subarray(half); remaining !== 0;) {
      [remaining, produced, consumed] = cctx.compressStream2(out.subarray(written), rest, zstdBinding.EndDirective.end);
      written += produced;
      rest = rest.subarray(consumed);
    }
    const frame = out.subarray(0, written);
    expect(zstdBinding.getFrameContentSize(frame)).toBeNull();
    const stream = vi.spyOn(zstdBinding.DCtx.prototype, 'decompressStream');
    expect(() => decompress(Compression.zstd, frame, MiB)).toThrow(/exceed 1048576 bytes/);
    // Stopped within one chunk past the bound, not after expanding all 16 MiB.
    const producedBytes = stream.mock.results.reduce((sum, r) => sum + (r.value as [number, number, number])[1], 0);
    expect(producedBytes).toBeLessThanOrEqual(MiB + 256 * 1024);
    stream.mockRestore();
    expect(decompress(Compression.zstd, frame, zeros.length).equals(zeros)).toBe(true);
  });
});
