/**
 * The Java client's default partitioner for keyed records, so keys land on the same partitions as
 * with Apache Kafka: murmur2 of the key bytes (org.apache.kafka.common.utils.Utils.murmur2, seed
 * 0x9747b28c), made positive by masking the sign bit, modulo the partition count.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java's Utils.murmur2: a signed int32. */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (key[i]! & 0xff) | ((key[i + 1]! & 0xff) << 8) | ((key[i + 2]! & 0xff) << 16) | ((key[i + 3]! & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Java's switch falls through from 3 to 1.
  const rest = length & 3;
  if (rest === 3) h ^= (key[whole + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (key[whole + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= key[whole]! & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Utils.toPositive(murmur2(key)) % partitionCount. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
