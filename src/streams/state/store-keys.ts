/**
 * Byte layouts of what the state stores keep (in lmdb and in changelog topics). Integers are
 * big-endian so that byte order is numeric order and lmdb's ordered keys give time ranges.
 *
 *   stored value (every store):   [timestamp u64][value bytes]        (Kafka's ValueAndTimestamp)
 *   time-keyed key:               [keyLength u32][key bytes][time u64][suffix u64]
 *
 * A window store's time is the window start and its suffix 0 (or a sequence number when it
 * keeps duplicates, as join buffers do); a session store's time is the session end and its
 * suffix the session start. Length-prefixing the key makes "every entry of key K" one
 * contiguous range (without it, key "a" and key "ab" would interleave); time segments
 * (segments.ts) split such keys by time across databases. Times are
 * non-negative milliseconds below 2^53.
 */
import { StateStoreError } from '../errors.js';

/** lmdb-js accepts keys up to 1978 bytes; larger ones get a precise error instead of its own. */
export const STORE_KEY_BYTES_MAX = 1978;
const U64_BYTES = 8;
/** The largest time a range may end at (times are below 2^53). */
export const TIME_MAX = Number.MAX_SAFE_INTEGER - 1;
const TWO_32 = 0x1_0000_0000;

export function writeU64(out: Buffer, value: number, at: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new StateStoreError(`a stored time must be a non-negative integer below 2^53, got ${value}`);
  out.writeUInt32BE(Math.floor(value / TWO_32), at);
  out.writeUInt32BE(value >>> 0, at + 4);
}

export function readU64(bytes: Buffer, at: number): number {
  return bytes.readUInt32BE(at) * TWO_32 + bytes.readUInt32BE(at + 4);
}

function checkKeySize(bytes: number): void {
  if (bytes > STORE_KEY_BYTES_MAX) throw new StateStoreError(`a state store key of ${bytes} bytes is over the ${STORE_KEY_BYTES_MAX}-byte limit of the local store`);
}

export function encodeStoredValue(value: Buffer | null, timestamp: number): Buffer | null {
  if (value === null) return null;
  const out = Buffer.allocUnsafe(U64_BYTES + value.length);
  writeU64(out, Math.max(0, timestamp), 0);
  value.copy(out, U64_BYTES);
  return out;
}

export function decodeStoredValue(stored: Buffer): { value: Buffer; timestamp: number } {
  if (stored.length < U64_BYTES) throw new StateStoreError(`a stored value has ${stored.length} bytes, fewer than its 8-byte timestamp`);
  return { timestamp: readU64(stored, 0), value: stored.subarray(U64_BYTES) };
}

export function checkedKey(key: Buffer): Buffer {
  checkKeySize(key.length);
  return key;
}

export function encodePrimaryKey(key: Buffer, time: number, suffix: number): Buffer {
  const out = Buffer.allocUnsafe(4 + key.length + 2 * U64_BYTES);
  checkKeySize(out.length);
  out.writeUInt32BE(key.length, 0);
  key.copy(out, 4);
  writeU64(out, time, 4 + key.length);
  writeU64(out, suffix, 4 + key.length + U64_BYTES);
  return out;
}

export interface TimeKeyParts {
  key: Buffer;
  time: number;
  suffix: number;
}

export function decodePrimaryKey(bytes: Buffer): TimeKeyParts {
  const keyLength = bytes.readUInt32BE(0);
  if (bytes.length !== 4 + keyLength + 2 * U64_BYTES) throw new StateStoreError(`a time-keyed store key of ${bytes.length} bytes does not match its key length ${keyLength}`);
  return { key: bytes.subarray(4, 4 + keyLength), time: readU64(bytes, 4 + keyLength), suffix: readU64(bytes, 4 + keyLength + U64_BYTES) };
}

/** The first primary key of `key` at `time` or later (suffix 0). */
export function primaryKeyFloor(key: Buffer, time: number): Buffer {
  return encodePrimaryKey(key, time, 0);
}
