/**
 * Seeded byte mutations for the fuzz tests. Not a test file itself. Each mutation returns a new
 * buffer; the 8-byte fixed request header (apiKey, apiVersion, correlationId) is kept, so the
 * frame still routes to the API under test.
 */
import { random, type Random } from '../helpers/random.js';

export { random, type Random };

export function randomInt(rng: Random, below: number): number {
  return Math.floor(rng() * below);
}

export function randomBytes(rng: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

const HEADER_FIXED_BYTES = 8;

function flipBits(frame: Buffer, rng: Random): Buffer {
  const out = Buffer.from(frame);
  if (out.length <= HEADER_FIXED_BYTES) return out;
  const flips = 1 + randomInt(rng, 4);
  for (let i = 0; i < flips; i++) {
    const at = HEADER_FIXED_BYTES + randomInt(rng, out.length - HEADER_FIXED_BYTES);
    out[at]! ^= 1 << randomInt(rng, 8);
  }
  return out;
}

function truncate(frame: Buffer, rng: Random): Buffer {
  return Buffer.from(frame.subarray(0, HEADER_FIXED_BYTES + randomInt(rng, Math.max(1, frame.length - HEADER_FIXED_BYTES))));
}

/** Huge, negative and boundary values a length or count field may be set to. */
const INT32_VALUES = [0x7fffffff, -1, -2, -0x80000000, 0x10000, 1_000_001, 0];
const INT16_VALUES = [0x7fff, -1, -2, -0x8000];
const VARINTS = [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), Buffer.from([0x00])];

function overwriteLength(frame: Buffer, rng: Random): Buffer {
  const out = Buffer.from(frame);
  if (out.length < HEADER_FIXED_BYTES + 4) return Buffer.concat([out, Buffer.from([0x7f, 0xff, 0xff, 0xff])]);
  const at = HEADER_FIXED_BYTES + randomInt(rng, out.length - HEADER_FIXED_BYTES - 3);
  const kind = randomInt(rng, 3);
  if (kind === 0) out.writeInt32BE(INT32_VALUES[randomInt(rng, INT32_VALUES.length)]!, at);
  else if (kind === 1) out.writeInt16BE(INT16_VALUES[randomInt(rng, INT16_VALUES.length)]!, at);
  else {
    const varint = VARINTS[randomInt(rng, VARINTS.length)]!;
    return Buffer.concat([out.subarray(0, at), varint, out.subarray(Math.min(out.length, at + varint.length))]);
  }
  return out;
}

function randomTail(frame: Buffer, rng: Random): Buffer {
  return Buffer.concat([frame, randomBytes(rng, 1 + randomInt(rng, 64))]);
}

/** Keeps the header (fixed part and clientId), replaces the body with random bytes. */
function randomBody(frame: Buffer, rng: Random): Buffer {
  const clientIdBytes = frame.length >= 10 ? Math.max(0, frame.readInt16BE(8)) : 0;
  const headerBytes = Math.min(frame.length, 10 + clientIdBytes);
  return Buffer.concat([frame.subarray(0, headerBytes), randomBytes(rng, randomInt(rng, 200))]);
}

const KINDS = [flipBits, truncate, overwriteLength, randomTail, randomBody];

/** `count` seeded mutations of a valid request frame (size prefix stripped). */
export function mutations(frame: Buffer, rng: Random, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let mutated = KINDS[i % KINDS.length]!(frame, rng);
    // Now and then stack a second mutation on the first.
    if (rng() < 0.25) mutated = KINDS[randomInt(rng, KINDS.length)]!(mutated, rng);
    out.push(mutated);
  }
  return out;
}
