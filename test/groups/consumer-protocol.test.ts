import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/groups/consumer-protocol.js';
import { DecodeError } from '../../src/protocol/decode-error.js';

const require = createRequire(import.meta.url);
// kafkajs encodes its MemberMetadata / MemberAssignment in Kafka's consumer-protocol layout.
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberMetadata: {
    encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; topics: string[]; userData: Buffer };
  };
  MemberAssignment: {
    encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer } | null;
  };
};

describe('ConsumerProtocolSubscription', () => {
  it('encodes v0 byte for byte as drawn: version, topics, userData', () => {
    const bytes = encodeSubscription({ version: 0, topics: ['ab'], userData: Buffer.from([7]) });
    expect(bytes.toString('hex')).toBe('0000' + '00000001' + '0002' + '6162' + '00000001' + '07');
  });

  it('round-trips v1 with ownedPartitions, v3 with generationId and rackId', () => {
    const v1 = { version: 1, topics: ['t1', 't2'], userData: null, ownedPartitions: [{ topic: 't1', partitions: [0, 2] }] };
    expect(decodeSubscription(encodeSubscription(v1))).toEqual({ ...v1, generationId: -1, rackId: null });
    const v3 = { ...v1, version: 3, generationId: 9, rackId: 'rack-a' };
    expect(decodeSubscription(encodeSubscription(v3))).toEqual(v3);
  });

  it('decodes what kafkajs MemberMetadata.encode writes, even v1 without ownedPartitions', () => {
    const bytes = MemberMetadata.encode({ version: 1, topics: ['orders', 'payments'], userData: Buffer.from('hi') });
    const s = decodeSubscription(bytes);
    expect(s.topics).toEqual(['orders', 'payments']);
    expect(s.userData).toEqual(Buffer.from('hi'));
  });

  it('writes bytes kafkajs MemberMetadata.decode reads', () => {
    const bytes = encodeSubscription({ version: 0, topics: ['a', 'b'], userData: Buffer.from('u') });
    expect(MemberMetadata.decode(bytes)).toEqual({ version: 0, topics: ['a', 'b'], userData: Buffer.from('u') });
  });

  it('rejects truncated bytes with DecodeError', () => {
    const bytes = encodeSubscription({ version: 1, topics: ['orders'], ownedPartitions: [{ topic: 'orders', partitions: [1] }] });
    const userDataEnd = bytes.length - (4 + 2 + 6 + 4 + 4); // minus the ownedPartitions array
    for (let cut = 0; cut < bytes.length; cut++) {
      if (cut === userDataEnd) continue; // v1 ending right after userData is accepted (kafkajs)
      expect(() => decodeSubscription(bytes.subarray(0, cut))).toThrow(DecodeError);
    }
  });

  it('rejects an array count the bytes cannot hold before allocating', () => {
    const bytes = Buffer.from('0000' + '7fffffff', 'hex');
    expect(() => decodeSubscription(bytes)).toThrow(DecodeError);
  });
});

describe('ConsumerProtocolAssignment', () => {
  it('round-trips assigned partitions and userData', () => {
    const a = { version: 0, assignedPartitions: [{ topic: 't0', partitions: [0, 1] }, { topic: 't1', partitions: [] }], userData: Buffer.from('x') };
    expect(decodeAssignment(encodeAssignment(a))).toEqual(a);
  });

  it('decodes what kafkajs MemberAssignment.encode writes', () => {
    const bytes = MemberAssignment.encode({ version: 1, assignment: { orders: [0, 2, 4], payments: [1] } });
    expect(decodeAssignment(bytes)).toEqual({
      version: 1,
      assignedPartitions: [{ topic: 'orders', partitions: [0, 2, 4] }, { topic: 'payments', partitions: [1] }],
      userData: Buffer.alloc(0),
    });
  });

  it('writes bytes kafkajs MemberAssignment.decode reads', () => {
    const bytes = encodeAssignment({ version: 0, assignedPartitions: [{ topic: 'orders', partitions: [3, 5] }], userData: Buffer.alloc(0) });
    expect(MemberAssignment.decode(bytes)).toEqual({ version: 0, assignment: { orders: [3, 5] }, userData: Buffer.alloc(0) });
  });

  it('any byte string either decodes or throws DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        for (const decode of [decodeAssignment, decodeSubscription]) {
          try {
            decode(Buffer.from(raw));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
