import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { API_BY_KEY } from '../../src/protocol/api-keys.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { SCHEMAS, prng, randomStruct } from './schema-values.js';
import { encodeRequestHeader, decodeRequestFrame, decodeRequestHeader, decodeResponseHeader } from '../../src/protocol/headers.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { ARRAY_COUNT_MAX } from '../../src/common/limits.js';

/** Runs `decode`; anything thrown other than DecodeError fails the property. */
function decodesOrDecodeError(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch (error) {
    if (error instanceof DecodeError) return true;
    throw error;
  }
}

const bytes = fc.uint8Array({ maxLength: 96 }).map((a) => Buffer.from(a));

describe('decoding arbitrary bytes', () => {
  it('every request and response codec either decodes or throws DecodeError', () => {
    const targets = [...API_BY_KEY.values()].flatMap((api) => {
      const versions = Array.from({ length: api.CODEC_MAX_VERSION - api.CODEC_MIN_VERSION + 1 }, (_, i) => api.CODEC_MIN_VERSION + i);
      return versions.map((version) => ({ api, version }));
    });
    fc.assert(
      fc.property(fc.constantFrom(...targets), bytes, ({ api, version }, input) =>
        decodesOrDecodeError(() => api.decodeRequest(new Reader(input), version)) &&
        decodesOrDecodeError(() => api.decodeResponse(new Reader(input), version))),
      { numRuns: 4000 },
    );
  });

  it('request and response headers and whole request frames decode or throw DecodeError', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 0, max: 50 }), fc.integer({ min: -1, max: 20 }), (input, apiKey, version) =>
        decodesOrDecodeError(() => decodeRequestHeader(new Reader(input))) &&
        decodesOrDecodeError(() => decodeRequestFrame(input)) &&
        decodesOrDecodeError(() => decodeResponseHeader(new Reader(input), apiKey, Math.max(version, 0)))),
      { numRuns: 3000 },
    );
  });

  it('mutated valid frames decode or throw DecodeError', () => {
    // Start from real requests so mutations reach deep into the bodies, not just the first field.
    const rand = prng(42);
    const seeds = [...API_BY_KEY.values()].flatMap((api) => [api.MAX_VERSION, api.CODEC_MAX_VERSION].map((version) => {
      const writer = new Writer();
      encodeRequestHeader(writer, { requestApiKey: api.API_KEY, requestApiVersion: version, correlationId: 7, clientId: 'c' });
      const schema = SCHEMAS.schemas[api.API_NAME]!.request!;
      api.encodeRequest(writer, version, randomStruct(schema.fields, version, rand));
      return Buffer.from(writer.toBuffer());
    }));
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 }), (seed, at, value) => {
        const input = Buffer.from(seed);
        if (input.length > 8) input[8 + (at % (input.length - 8))] = value;
        return decodesOrDecodeError(() => decodeRequestFrame(input));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('flexible request headers (v2: tagged fields after the classic client id)', () => {
  // Every (api, version) whose request header is v2, so random tails exercise the tagged fields.
  const flexible = [...API_BY_KEY.values()].flatMap((api) => {
    const from = api.FLEXIBLE_VERSIONS_FROM;
    if (from === null) return [];
    return Array.from({ length: api.CODEC_MAX_VERSION - from + 1 }, (_, i) => ({ apiKey: api.API_KEY, version: from + i }));
  });

  it('a v2 header with any client id and tagged-field bytes decodes or throws DecodeError', () => {
    expect(flexible.length).toBeGreaterThan(50);
    fc.assert(
      fc.property(fc.constantFrom(...flexible), bytes, ({ apiKey, version }, tail) => {
        const head = Buffer.alloc(8);
        head.writeInt16BE(apiKey, 0);
        head.writeInt16BE(version, 2);
        head.writeInt32BE(7, 4);
        const input = Buffer.concat([head, tail]);
        return decodesOrDecodeError(() => decodeRequestHeader(new Reader(input))) && decodesOrDecodeError(() => decodeRequestFrame(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the tagged fields of a v2 header, unknown tags included, and leaves the body where it starts', () => {
    const writer = new Writer();
    encodeRequestHeader(writer, { requestApiKey: 3, requestApiVersion: 12, correlationId: 9, clientId: 'c' });
    const plain = Buffer.from(writer.toBuffer());
    // The same header with one unknown tagged field (tag 5, 2 bytes) instead of none.
    const tagged = Buffer.concat([plain.subarray(0, plain.length - 1), Buffer.from([1, 5, 2, 0xab, 0xcd]), Buffer.from([0xee])]);
    const reader = new Reader(tagged);
    expect(decodeRequestHeader(reader)).toEqual({ requestApiKey: 3, requestApiVersion: 12, correlationId: 9, clientId: 'c' });
    expect(reader.remainingBytes).toBe(1);
  });
});

describe('claimed lengths and counts', () => {
  it('an int32 array count of 2^31-1 throws before allocating anything', () => {
    const input = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    expect(() => new Reader(input).readArrayCount()).toThrow(DecodeError);
  });

  it('a count over ARRAY_COUNT_MAX throws even when the frame is big enough', () => {
    const input = Buffer.alloc(ARRAY_COUNT_MAX + 16);
    input.writeInt32BE(ARRAY_COUNT_MAX + 1, 0);
    expect(() => new Reader(input).readArrayCount()).toThrow(/exceeds 1000000/);
  });

  it('a compact array count larger than the remaining bytes throws', () => {
    const writer = new Writer().writeUnsignedVarint(1_000);
    expect(() => new Reader(Buffer.from(writer.toBuffer())).readCompactArrayCount()).toThrow(DecodeError);
  });

  it('a huge bytes length throws DecodeError, not RangeError', () => {
    const input = Buffer.from([0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
    expect(() => new Reader(input).readBytes()).toThrow(DecodeError);
    const compact = Buffer.from(new Writer().writeUnsignedVarint(2 ** 31).toBuffer());
    expect(() => new Reader(compact).readCompactBytes()).toThrow(DecodeError);
  });

  it('a compact string longer than STRING_BYTES_MAX throws even with the bytes present', () => {
    const writer = new Writer(40_000).writeUnsignedVarint(32_769).writeRaw(Buffer.alloc(32_768, 0x61));
    expect(() => new Reader(Buffer.from(writer.toBuffer())).readCompactString()).toThrow(/exceeds 32767/);
  });

  it('a produce request claiming 2^31-1 topics throws DecodeError', () => {
    const produce = API_BY_KEY.get(0)!;
    const writer = new Writer().writeNullableString(null).writeInt16(1).writeInt32(1000).writeInt32(0x7fffffff);
    expect(() => produce.decodeRequest(new Reader(Buffer.from(writer.toBuffer())), 3)).toThrow(DecodeError);
  });
});
