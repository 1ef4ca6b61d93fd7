import { describe, expect, it } from 'vitest';
import { ApiKey, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/api-keys.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../src/protocol/headers.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import * as apiVersions from '../../src/protocol/apis/api-versions.js';
import * as metadata from '../../src/protocol/apis/metadata.js';
import * as fetch from '../../src/protocol/apis/fetch.js';

describe('header versions', () => {
  it('uses request header v2 / response header v1 exactly for flexible versions', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(requestHeaderVersion(ApiKey.SaslHandshake, 1)).toBe(1);
  });

  it('answers ApiVersions with response header v0 at every version, even flexible v3', () => {
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    for (const v of [0, 1, 2, 3, 4, 9]) expect(responseHeaderVersion(ApiKey.ApiVersions, v)).toBe(0);
  });
});

describe('frames', () => {
  it('writes an ApiVersions v3 response as size, correlation id, then the body with no header tags', () => {
    const body = { ...apiVersions.defaultResponse(), apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] };
    const frame = Buffer.concat(encodeResponseFrame(ApiKey.ApiVersions, 3, 77, body));
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(77);
    // error code 0, compact array of 1 (varint 2), key 18, 0, 3, entry tags 0, throttle 0, tags 0
    expect(frame.subarray(8).toString('hex')).toBe('0000' + '02' + '0012' + '0000' + '0003' + '00' + '00000000' + '00');
    expect(decodeResponseFrame(frame.subarray(4), ApiKey.ApiVersions, 3)).toEqual({ correlationId: 77, body });
  });

  it('round-trips a flexible request frame with header v2 and a classic client id string', () => {
    const body = { ...metadata.defaultRequest(), topics: [{ ...metadata.defaultMetadataRequestTopic(), name: 'orders' }] };
    const frame = Buffer.concat(encodeRequestFrame(ApiKey.Metadata, 9, 5, 'cli', body));
    // size, key 3, version 9, correlation 5, int16-length "cli", header tags 0
    expect(frame.subarray(4, 18).toString('hex')).toBe('0003' + '0009' + '00000005' + '0003' + '636c69' + '00');
    const decoded = decodeRequestFrame(frame.subarray(4));
    expect(decoded.header).toEqual({ requestApiKey: 3, requestApiVersion: 9, correlationId: 5, clientId: 'cli' });
    expect(decoded.body).toEqual(body);
  });

  it('keeps a large records buffer by reference and patches the size across chunks', () => {
    const records = Buffer.alloc(10_000, 7);
    const partition = { ...fetch.defaultPartitionData(), records };
    const body = { ...fetch.defaultResponse(), responses: [{ ...fetch.defaultFetchableTopicResponse(), topic: 't', partitions: [partition, { ...partition, partitionIndex: 1, records: null }] }] };
    const chunks = encodeResponseFrame(ApiKey.Fetch, 11, 9, body);
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(records);
    const frame = Buffer.concat(chunks);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const decoded = decodeResponseFrame(frame.subarray(4), ApiKey.Fetch, 11);
    expect(decoded.body).toEqual(body);
  });

  it('rejects a request frame for an unknown api key with DecodeError', () => {
    const writer = new Writer().writeInt16(999).writeInt16(0).writeInt32(1).writeNullableString(null);
    expect(() => decodeRequestFrame(Buffer.from(writer.toBuffer()))).toThrow(DecodeError);
  });

  it('rejects a version the codec does not cover with DecodeError', () => {
    const writer = new Writer().writeInt16(ApiKey.ApiVersions).writeInt16(99).writeInt32(1).writeNullableString(null).writeInt8(0);
    expect(() => decodeRequestFrame(Buffer.from(writer.toBuffer()))).toThrow(/no version 99/);
  });
});

describe('reader and writer primitives', () => {
  it('round-trips int64 values across the safe range, negatives included', () => {
    for (const value of [0, -1, 1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const bytes = Buffer.from(new Writer().writeInt64(value).toBuffer());
      expect(bytes.readBigInt64BE(0)).toBe(BigInt(value));
      expect(new Reader(bytes).readInt64()).toBe(value);
    }
  });

  it('round-trips uuids, varints and compact nullable forms', () => {
    const uuid = '0123abcd-4567-89ef-0123-456789abcdef';
    const writer = new Writer(16).writeUuid(uuid).writeVarint(-300).writeVarlong(-(2 ** 40)).writeUnsignedVarint(2 ** 31)
      .writeCompactNullableString(null).writeCompactNullableBytes(Buffer.from([1])).writeCompactArrayCount(null);
    const reader = new Reader(Buffer.from(writer.toBuffer()));
    expect(reader.readUuid()).toBe(uuid);
    expect(reader.readVarint()).toBe(-300);
    expect(reader.readVarlong()).toBe(-(2 ** 40));
    expect(reader.readUnsignedVarint()).toBe(2 ** 31);
    expect(reader.readCompactNullableString()).toBe(null);
    expect(reader.readCompactNullableBytes()).toEqual(Buffer.from([1]));
    expect(reader.readCompactNullableArrayCount()).toBe(-1);
    expect(reader.remainingBytes).toBe(0);
  });

  it('throws DecodeError, not RangeError, when a fixed-size read runs past the end', () => {
    expect(() => new Reader(Buffer.from([1, 2, 3])).readInt32()).toThrow(DecodeError);
    expect(() => new Reader(Buffer.alloc(7)).readInt64()).toThrow(DecodeError);
    expect(() => new Reader(Buffer.from([0, 5, 0x61])).readString()).toThrow(DecodeError);
  });

  it('skips unknown tagged fields and rejects out-of-order tags', () => {
    const writer = new Writer().writeTaggedFields([
      { tag: 3, write: (w) => w.writeInt32(1) }, { tag: 7, write: (w) => w.writeString('x') }]);
    const seen: number[] = [];
    const reader = new Reader(Buffer.from(writer.toBuffer()));
    reader.readTaggedFields((tag) => seen.push(tag));
    expect(seen).toEqual([3, 7]);
    expect(reader.remainingBytes).toBe(0);
    expect(() => new Reader(Buffer.from([2, 5, 0, 1, 0])).readTaggedFields()).toThrow(/out of order/);
  });
});
