import { describe, expect, it } from 'vitest';
import { coordinatorIndexFor, javaStringHashCode, kafkaAbs } from '../../src/groups/group-id-hash.js';

describe('group id hashing (Kafka: Utils.abs(groupId.hashCode()) % partitions)', () => {
  it('matches Java String.hashCode on known vectors', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // Wraps to negative like Java's int arithmetic.
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
    expect(javaStringHashCode('hello world')).toBe(1794106052);
  });

  it('agrees with an exact big-integer evaluation of the hashCode polynomial', () => {
    const reference = (s: string): number => {
      let h = 0n;
      for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % (1n << 32n);
      return Number(BigInt.asIntN(32, h));
    };
    for (const s of ['console-consumer-12345', 'my-group', 'x'.repeat(100), 'Grüße', 'consumer_offsets']) {
      expect(javaStringHashCode(s)).toBe(reference(s));
    }
  });

  it('hashes UTF-16 code units, so a surrogate pair counts as two', () => {
    // "😀" is \uD83D\uDE00: 0xD83D * 31 + 0xDE00
    expect(javaStringHashCode('😀')).toBe(0xd83d * 31 + 0xde00);
  });

  it('maps Integer.MIN_VALUE to 0 in Utils.abs and to partition 0', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(coordinatorIndexFor('polygenelubricants', 50)).toBe(0);
    expect(coordinatorIndexFor('polygenelubricants', 7)).toBe(0);
  });

  it('assigns groups to coordinators by the absolute hash modulo the count', () => {
    expect(coordinatorIndexFor('hello', 50)).toBe(99162322 % 50);
    expect(coordinatorIndexFor('a', 4)).toBe(1);
    expect(coordinatorIndexFor('', 3)).toBe(0);
    const negative = ['g1', 'group-a', 'my-group'].find((s) => javaStringHashCode(s) < 0)!;
    expect(negative).toBeDefined();
    expect(coordinatorIndexFor(negative, 50)).toBe(-javaStringHashCode(negative) % 50);
  });
});
