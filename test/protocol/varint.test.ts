/**
 * Unsigned and zigzag varints (protocol/varint.ts): what is written reads back, takes the number
 * of bytes the *Bytes functions say, and is the minimal encoding (no trailing 0x80 groups), on
 * each side of every 7-bit boundary as well as anywhere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  readUnsignedVarint, readZigzagVarint, readZigzagVarlong, unsignedVarintBytes, writeUnsignedVarint, writeZigzagVarint,
  writeZigzagVarlong, zigzagVarintBytes, zigzagVarlongBytes,
} from '../../src/protocol/varint.js';

/** 0, and 2^(7k) - 1 and 2^(7k) for every k that stays below 2^53. */
const boundaries = [0, ...Array.from({ length: 7 }, (_, k) => [2 ** (7 * (k + 1)) - 1, 2 ** (7 * (k + 1))]).flat()].filter((v) => v < 2 ** 53);

function minimalBytes(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

describe('varints', () => {
  it('unsigned: round trip, size and minimal encoding at every boundary and anywhere below 2^32', () => {
    const buf = Buffer.alloc(16);
    const check = (value: number): void => {
      buf.fill(0xee);
      const end = writeUnsignedVarint(buf, 3, value);
      expect(end - 3).toBe(minimalBytes(value));
      expect(unsignedVarintBytes(value)).toBe(end - 3);
      expect(buf[end - 1]! & 0x80).toBe(0);
      expect(buf[end]).toBe(0xee); // nothing written past it
      if (value < 2 ** 35) expect(readUnsignedVarint(buf, { pos: 3 })).toBe(value);
    };
    for (const value of boundaries.filter((v) => v < 2 ** 35)) check(value);
    fc.assert(fc.property(fc.nat({ max: 2 ** 32 - 1 }), check), { numRuns: 2000 });
  });

  it('zigzag int32 and int64: round trip and size on both signs', () => {
    const buf = Buffer.alloc(16);
    const int32 = [...boundaries.filter((v) => v < 2 ** 31).flatMap((v) => [v >> 1, -(v >> 1) - 1]), 2 ** 31 - 1, -(2 ** 31)];
    const check32 = (value: number): void => {
      const end = writeZigzagVarint(buf, 0, value);
      expect(zigzagVarintBytes(value)).toBe(end);
      expect(readZigzagVarint(buf, { pos: 0 })).toBe(value);
    };
    for (const value of int32) check32(value);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), check32), { numRuns: 2000 });
    const check64 = (value: number): void => {
      const end = writeZigzagVarlong(buf, 0, value);
      expect(zigzagVarlongBytes(value)).toBe(end);
      expect(readZigzagVarlong(buf, { pos: 0 })).toBe(value);
    };
    for (const value of boundaries.filter((v) => v < 2 ** 52).flatMap((v) => [v / 2, -v / 2 - 1].map(Math.floor))) check64(value);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), check64), { numRuns: 2000 });
  });
});
