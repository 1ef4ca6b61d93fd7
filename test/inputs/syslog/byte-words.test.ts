/**
 * The word-at-a-time helpers of the syslog byte path (byte-words.ts) against byte-by-byte
 * answers, at any offset and length, on bytes chosen to sit at the edges of their tricks
 * (0x1f/0x20, '"', '\', 0x7f/0x80, 0xff, 0x00).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyWords, hasHighBytes, mayNeedEscape, sameBytes, viewOf } from '../../../src/inputs/syslog/byte-words.js';

const edgy = fc.constantFrom(0x00, 0x01, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xc3, 0xff);
const bytes = fc.array(fc.oneof(edgy, fc.integer({ min: 0x20, max: 0x7e })), { minLength: 0, maxLength: 80 }).map((list) => Buffer.from(list));

function naiveNeedsEscape(buffer: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buffer[i]! < 0x20 || buffer[i] === 0x22 || buffer[i] === 0x5c || buffer[i]! >= 0x80) return true;
  return false;
}

describe('byte words', () => {
  it('mayNeedEscape says exactly whether a range holds a control, quote, backslash or non-ASCII byte', () => {
    fc.assert(fc.property(bytes, fc.nat(), fc.nat(), (buffer, a, b) => {
      const start = buffer.length === 0 ? 0 : a % (buffer.length + 1);
      const end = start + (b % (buffer.length - start + 1));
      expect(mayNeedEscape(buffer, start, end)).toBe(naiveNeedsEscape(buffer, start, end));
    }), { numRuns: 3000 });
  });

  it('mayNeedEscape finds one such byte anywhere in long printable text', () => {
    const text = Buffer.from('message 000000001 lorem ipsum dolor sit amet, consectetur');
    expect(mayNeedEscape(text, 0, text.length)).toBe(false);
    for (const c of [0x00, 0x09, 0x1f, 0x22, 0x5c, 0x80, 0xff]) {
      for (let at = 0; at < text.length; at++) {
        const copy = Buffer.from(text);
        copy[at] = c;
        expect(mayNeedEscape(copy, 0, copy.length)).toBe(true);
        expect(mayNeedEscape(copy, at + 1, copy.length)).toBe(false); // past it: clean again
      }
    }
  });

  it('hasHighBytes says whether a range holds a byte of 0x80 or above', () => {
    fc.assert(fc.property(bytes, fc.nat(), fc.nat(), (buffer, a, b) => {
      const start = buffer.length === 0 ? 0 : a % (buffer.length + 1);
      const end = start + (b % (buffer.length - start + 1));
      expect(hasHighBytes(buffer, start, end)).toBe([...buffer.subarray(start, end)].some((c) => c >= 0x80));
    }), { numRuns: 3000 });
  });

  it('sameBytes compares two ranges of one buffer', () => {
    fc.assert(fc.property(bytes, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (buffer, a, b, n, equal) => {
      const length = buffer.length === 0 ? 0 : n % (buffer.length + 1);
      const first = a % (buffer.length - length + 1);
      let second = b % (buffer.length - length + 1);
      const copy = Buffer.from(buffer);
      if (equal) {
        copy.copyWithin(second, first, first + length);
        second = Math.min(second, copy.length - length);
      }
      const expected = copy.subarray(first, first + length).equals(copy.subarray(second, second + length));
      expect(sameBytes(copy, first, second, length)).toBe(expected);
    }), { numRuns: 3000 });
  });

  it('copyWords copies a range to a place it does not overlap, touching nothing else', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.nat(), fc.nat(), (length, a, b) => {
      const buffer = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37 + 11) & 0xff));
      const start = a % (buffer.length - length + 1);
      // A target range clear of the source, before or after it.
      const before = start - length >= 0 && b % 2 === 0;
      const pos = before ? b % (start - length + 1) : Math.min(buffer.length - length, start + length + (b % 16));
      if (!before && pos < start + length) return; // no room after it: nothing to test
      const expected = Buffer.from(buffer);
      buffer.copy(expected, pos, start, start + length);
      copyWords(buffer, start, start + length, pos);
      expect(buffer.equals(expected)).toBe(true);
    }), { numRuns: 3000 });
  });

  it('viewOf follows the buffer asked for', () => {
    const one = Buffer.from([1, 2, 3, 4]);
    const two = Buffer.from([5, 6, 7, 8]).subarray(1);
    expect(viewOf(one).getUint8(0)).toBe(1);
    expect(viewOf(two).getUint8(0)).toBe(6);
    expect(viewOf(two).byteLength).toBe(3);
    expect(viewOf(one).getUint8(3)).toBe(4);
  });
});
