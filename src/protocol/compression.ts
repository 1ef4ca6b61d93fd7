/**
 * Record-batch compression codecs, by the attribute bits Kafka uses (0 none, 1 gzip, 2 snappy,
 * 3 lz4, 4 zstd). The broker decompresses produced batches to check their records and recompresses
 * them for a topic's compression.type (storage/log-validator.ts); Brook's own clients use them too.
 *
 * Formats as Kafka clients write them:
 * - gzip: a plain gzip member.
 * - snappy: the Java client writes xerial framing: magic [0x82 'SNAPPY' 0x00], int32 version,
 *   int32 compatible version, then blocks of int32 length + raw snappy. librdkafka writes raw
 *   snappy. We write xerial (every client reads it) and read both.
 * - lz4: the LZ4 frame format (since magic 1 with correct header checksum).
 * - zstd: a zstd frame.
 */
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import type snappyModule from 'snappy';
import type lz4Module from 'lz4-napi';
import type zstdModule from 'zstd-napi';
import { DecodeError } from './decode-error.js';
import { lz4DecompressBounded, snappyStatedBytes, zstdDecompressBounded } from './bounded-decompress.js';

// The codecs are native addons: loaded on first use, so a process that never compresses (most
// CLI commands, the broker's produce path) does not pay for loading three of them at start.
const require = createRequire(import.meta.url);
let snappyCodec: typeof snappyModule | null = null;
let lz4Codec: typeof lz4Module | null = null;
let zstdCodec: typeof zstdModule | null = null;
const snappy = (): typeof snappyModule => (snappyCodec ??= require('snappy') as typeof snappyModule);
const lz4 = (): typeof lz4Module => (lz4Codec ??= require('lz4-napi') as typeof lz4Module);
const zstd = (): typeof zstdModule => (zstdCodec ??= require('zstd-napi') as typeof zstdModule);

/** zstd at a given compression.zstd.level (broker-side recompression). */
export function zstdCompress(data: Buffer, level: number): Buffer {
  return zstd().compress(data, { compressionLevel: level });
}

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export type CompressionCodec = (typeof Compression)[CompressionName];

export const COMPRESSION_NAMES = Object.keys(Compression) as CompressionName[];

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipSync(data);
    case Compression.snappy:
      return snappyXerialCompress(data);
    case Compression.lz4:
      return lz4().compressFrameSync(data);
    case Compression.zstd:
      return zstd().compress(data);
    default:
      throw new DecodeError(`unknown compression codec ${codec}`);
  }
}

/**
 * Decompresses a batch's record section. `maxBytes` bounds the output so a tiny "zip bomb" cannot
 * exhaust memory: nothing much larger is allocated (bounded-decompress.ts), past it we throw
 * DecodeError.
 */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    switch (codec) {
      case Compression.none:
        return data;
      case Compression.gzip:
        out = gunzipSync(data, { maxOutputLength: maxBytes });
        break;
      case Compression.snappy:
        out = snappyDecompress(data, maxBytes);
        break;
      case Compression.lz4:
        out = lz4DecompressBounded(data, maxBytes);
        break;
      case Compression.zstd:
        out = zstdDecompressBounded(data, maxBytes);
        break;
      default:
        throw new DecodeError(`unknown compression codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`cannot decompress codec ${codec}: ${(err as Error).message}`);
  }
  if (out.length > maxBytes) throw new DecodeError(`decompressed records exceed ${maxBytes} bytes`);
  return out;
}

function snappyXerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_BYTES) {
    const block = snappy().compressSync(data.subarray(pos, pos + XERIAL_BLOCK_BYTES));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    if (snappyStatedBytes(data) > maxBytes) throw new DecodeError(`decompressed records exceed ${maxBytes} bytes`);
    return snappy().uncompressSync(data, { asBuffer: true }) as Buffer;
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new DecodeError('truncated xerial snappy block length');
    const blockBytes = data.readInt32BE(pos);
    pos += 4;
    if (blockBytes < 0 || pos + blockBytes > data.length) throw new DecodeError('bad xerial snappy block length');
    if (total + snappyStatedBytes(data.subarray(pos, pos + blockBytes)) > maxBytes) throw new DecodeError(`decompressed records exceed ${maxBytes} bytes`);
    const block = snappy().uncompressSync(data.subarray(pos, pos + blockBytes), { asBuffer: true }) as Buffer;
    total += block.length;
    if (total > maxBytes) throw new DecodeError(`decompressed records exceed ${maxBytes} bytes`);
    blocks.push(block);
    pos += blockBytes;
  }
  return Buffer.concat(blocks);
}
