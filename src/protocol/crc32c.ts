/**
 * CRC-32C (Castagnoli), the checksum of record batches. Node's zlib.crc32 is CRC-32/IEEE, a
 * different polynomial, so we use @node-rs/crc32's SIMD implementation (check value for
 * "123456789" is 0xE3069283).
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(bytes: Uint8Array, initial = 0): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return nativeCrc32c(buf, initial) >>> 0;
}
