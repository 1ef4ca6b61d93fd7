import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/protocol/partitioner.js';

describe('murmur2 partitioner', () => {
  it("matches the Java client's Utils.murmur2 vectors", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('maps a key to toPositive(murmur2) modulo the partition count', () => {
    expect(partitionForKey(Buffer.from('foobar'), 7)).toBe((-790332482 & 0x7fffffff) % 7);
    for (let n = 1; n <= 16; n++) {
      const p = partitionForKey(Buffer.from(`key-${n}`), n);
      expect(p >= 0 && p < n).toBe(true);
    }
  });
});
