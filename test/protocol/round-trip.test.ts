import { describe, expect, it } from 'vitest';
import { API_BY_KEY } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { UnsupportedVersionError } from '../../src/protocol/apis/runtime.js';
import * as subscription from '../../src/protocol/apis/consumer-protocol-subscription.js';
import * as assignment from '../../src/protocol/apis/consumer-protocol-assignment.js';
import * as requestHeader from '../../src/protocol/apis/request-header.js';
import * as responseHeader from '../../src/protocol/apis/response-header.js';
import * as fetch from '../../src/protocol/apis/fetch.js';
import * as joinGroup from '../../src/protocol/apis/join-group.js';
import { SCHEMAS, prng, randomStruct, versionRange, type MessageSchema } from './schema-values.js';

const CASES_PER_VERSION = 8;

type Codec = {
  decode: (reader: Reader, version: number) => unknown;
  encode: (writer: Writer, version: number, body: never) => void;
};

function roundTrip(schema: MessageSchema, codec: Codec, version: number, seed: number): void {
  const rand = prng(seed);
  for (let i = 0; i < CASES_PER_VERSION; i++) {
    const body = randomStruct(schema.fields, version, rand);
    const writer = new Writer(16);
    codec.encode(writer, version, body as never);
    const bytes = Buffer.from(writer.toBuffer());
    const reader = new Reader(bytes);
    const decoded = codec.decode(reader, version);
    expect(reader.remainingBytes, `${schema.name} v${version} seed ${seed}`).toBe(0);
    expect(decoded, `${schema.name} v${version} seed ${seed}`).toEqual(body);
    const again = new Writer(16);
    codec.encode(again, version, decoded as never);
    expect(again.toBuffer().equals(bytes)).toBe(true);
  }
}

describe('generated API codecs', () => {
  for (const [name, min, max] of SCHEMAS.apis) {
    const { request, response } = SCHEMAS.schemas[name]!;
    const api = API_BY_KEY.get(request!.apiKey!)!;
    const [codecMin, codecMax] = versionRange(request!.validVersions);

    it(`${name}: advertises ${min}-${max} and implements the schema's ${codecMin}-${codecMax}`, () => {
      expect([api.API_NAME, api.MIN_VERSION, api.MAX_VERSION]).toEqual([name, min, max]);
      expect([api.CODEC_MIN_VERSION, api.CODEC_MAX_VERSION]).toEqual([codecMin, codecMax]);
    });

    it(`${name}: requests and responses round-trip byte for byte in every version`, () => {
      for (let version = codecMin; version <= codecMax; version++) {
        roundTrip(request!, { decode: api.decodeRequest, encode: api.encodeRequest }, version, version * 7919 + 1);
        roundTrip(response!, { decode: api.decodeResponse, encode: api.encodeResponse }, version, version * 7919 + 2);
      }
    });
  }

  const dataCodecs: Record<string, Codec> = {
    ConsumerProtocolSubscription: subscription,
    ConsumerProtocolAssignment: assignment,
    RequestHeader: requestHeader,
    ResponseHeader: responseHeader,
  };
  for (const name of SCHEMAS.data) {
    it(`${name}: round-trips in every version`, () => {
      const schema = SCHEMAS.schemas[name]!.data!;
      const [lo, hi] = versionRange(schema.validVersions);
      for (let version = lo; version <= hi; version++) roundTrip(schema, dataCodecs[name]!, version, version + 99);
    });
  }
});

describe('encoding fields a version cannot carry', () => {
  it('rejects a non-ignorable field set away from its default', () => {
    // FetchResponse PartitionData.PreferredReadReplica exists from v11 and is not ignorable.
    const partition = { ...fetch.defaultPartitionData(), preferredReadReplica: 3 };
    const topic = { ...fetch.defaultFetchableTopicResponse(), partitions: [partition] };
    const body = { ...fetch.defaultResponse(), responses: [topic] };
    expect(() => fetch.encodeResponse(new Writer(), 10, body)).toThrow(UnsupportedVersionError);
    expect(() => fetch.encodeResponse(new Writer(), 11, body)).not.toThrow();
  });

  it('drops an ignorable field the version lacks', () => {
    // JoinGroupRequest.Reason (v8+) is ignorable.
    const body = { ...joinGroup.defaultRequest(), reason: 'rebalance' };
    const writer = new Writer();
    joinGroup.encodeRequest(writer, 5, body);
    expect(joinGroup.decodeRequest(new Reader(Buffer.from(writer.toBuffer())), 5).reason).toBe(null);
  });

  it('rejects null where the version makes a field non-nullable', () => {
    const body = { ...joinGroup.defaultRequest(), groupInstanceId: null, memberId: null as unknown as string };
    expect(() => joinGroup.encodeRequest(new Writer(), 5, body)).toThrow();
  });

  it('reads a newer consumer-protocol version as the newest it knows', () => {
    const writer = new Writer();
    writer.writeInt16(9);
    subscription.encode(writer, subscription.MAX_VERSION, { ...subscription.defaultValue(), topics: ['t'] });
    const { version, body } = subscription.decodeVersioned(new Reader(Buffer.from(writer.toBuffer())));
    expect(version).toBe(subscription.MAX_VERSION);
    expect(body.topics).toEqual(['t']);
  });
});
