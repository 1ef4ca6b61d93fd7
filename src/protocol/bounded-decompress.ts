/**
 * zstd, lz4 and raw snappy decompression that never allocates much past `maxBytes`, for records
 * sections from the network: the broker decompresses every compressed produce to check it
 * (storage/log-validator.ts), and a few KiB of zstd can claim gigabytes. The libraries' one-shot
 * calls size their output from the frame's own claims, so the claims are checked first:
 *
 * - zstd: a frame that states its size is decoded in one call when the size is within the bound;
 *   otherwise (unknown size, several frames) it is streamed in chunks, stopping past the bound.
 * - lz4 (frame format): the block headers are walked before decoding; each block decodes to at
 *   most the frame's block maximum (64 KiB .. 4 MiB), so a frame whose blocks could exceed the
 *   bound by more than one block is refused unread.
 * - snappy (raw, and each xerial block): the varint length prefix is the output size.
 *
 * Each throws DecodeError past the bound or on malformed input. Any thread; the zstd context is
 * per thread (module state), reset before each use.
 */
import { createRequire } from 'node:module';
import type zstdBindingModule from 'zstd-napi/binding.js';
import type lz4Module from 'lz4-napi';
import { DecodeError } from './decode-error.js';

// Native addons, loaded on first use (as in compression.ts): a process that never decompresses
// does not pay for loading them at start.
const require = createRequire(import.meta.url);
let zstdBindingValue: typeof zstdBindingModule | null = null;
let lz4Value: typeof lz4Module | null = null;
const zstdBinding = (): typeof zstdBindingModule => (zstdBindingValue ??= require('zstd-napi/binding.js') as typeof zstdBindingModule);
const lz4 = (): typeof lz4Module => (lz4Value ??= require('lz4-napi') as typeof lz4Module);

type DCtx = InstanceType<typeof zstdBindingModule.DCtx>;

const ZSTD_CHUNK_BYTES = 256 * 1024;
let dctx: DCtx | null = null;

function tooLarge(maxBytes: number): DecodeError {
  return new DecodeError(`decompressed records exceed ${maxBytes} bytes`);
}

export function zstdDecompressBounded(data: Buffer, maxBytes: number): Buffer {
  dctx ??= new (zstdBinding().DCtx)();
  dctx.reset(zstdBinding().ResetDirective.sessionOnly);
  const stated = zstdBinding().getFrameContentSize(data);
  if (stated !== null && stated > maxBytes) throw tooLarge(maxBytes);
  if (stated !== null && zstdBinding().findFrameCompressedSize(data) === data.length) {
    const out = Buffer.allocUnsafe(stated);
    const written = dctx.decompress(out, data);
    if (written !== stated) throw new DecodeError(`zstd frame states ${stated} bytes but holds ${written}`);
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let src = data;
  for (;;) {
    const out = Buffer.allocUnsafe(Math.min(ZSTD_CHUNK_BYTES, maxBytes - total + 1));
    const [remaining, produced, consumed] = dctx.decompressStream(out, src);
    total += produced;
    if (total > maxBytes) throw tooLarge(maxBytes);
    if (produced > 0) chunks.push(out.subarray(0, produced));
    src = src.subarray(consumed);
    if (remaining === 0 && src.length === 0) break; // every frame decoded and flushed
    if (produced === 0 && consumed === 0) throw new DecodeError('truncated zstd frame');
  }
  return Buffer.concat(chunks, total);
}

const LZ4_MAGIC = 0x184d2204;
/** Block maximum by the BD byte's bits 4-6 (LZ4 frame format). */
const LZ4_BLOCK_MAX_BYTES: Readonly<Record<number, number>> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * The most an LZ4 frame can decode to, from its header and block headers:
 *   magic u32le | FLG | BD | [content size u64le] | [dict id u32le] | HC | blocks | end mark 0 | [checksum]
 *   block: size u32le (high bit: stored uncompressed) | data | [block checksum u32le]
 */
function lz4FrameBound(data: Buffer): number {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_MAGIC) throw new DecodeError('not an lz4 frame');
  const flags = data[4]!;
  const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(data[5]! >> 4) & 0x07];
  if (blockMaxBytes === undefined) throw new DecodeError('lz4 frame: bad block maximum');
  let pos = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1;
  const blockChecksumBytes = (flags & 0x10) !== 0 ? 4 : 0;
  let bound = 0;
  while (pos + 4 <= data.length) {
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) return bound;
    const size = word & 0x7fffffff;
    bound += (word & 0x80000000) !== 0 ? size : blockMaxBytes;
    pos += size + blockChecksumBytes;
  }
  throw new DecodeError('truncated lz4 frame');
}

export function lz4DecompressBounded(data: Buffer, maxBytes: number): Buffer {
  const bound = lz4FrameBound(data);
  const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(data[5]! >> 4) & 0x07]!;
  // A legal frame's last block may be short: allow one block of slack, then check the real size.
  if (bound > maxBytes + blockMaxBytes) throw tooLarge(maxBytes);
  const out = lz4().decompressFrameSync(data);
  if (out.length > maxBytes) throw tooLarge(maxBytes);
  return out;
}

/** The output size a raw snappy block states (its varint prefix); DecodeError if malformed. */
export function snappyStatedBytes(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    value += (block[i]! & 0x7f) * 2 ** (7 * i);
    if ((block[i]! & 0x80) === 0) return value;
  }
  throw new DecodeError('bad snappy length prefix');
}
