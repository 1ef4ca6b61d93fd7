/**
 * XXH32 (the hash in an LZ4 frame's header checksum), for repairing the header of LZ4 frames that
 * Kafka clients wrote for message format v0: Kafka's first LZ4 writer hashed the frame magic too,
 * so those frames fail a standard reader's header check (KAFKA-1493, KAFKA-3160). Reference:
 * https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (32-bit variant).
 */
const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;

function round(acc: number, lane: number): number {
  return mul(rotl((acc + mul(lane, PRIME2)) >>> 0, 13), PRIME1);
}

export function xxhash32(input: Uint8Array, seed = 0): number {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const length = input.length;
  let pos = 0;
  let acc: number;
  if (length >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) >>> 0;
    let v2 = (seed + PRIME2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - PRIME1) >>> 0;
    for (; pos + 16 <= length; pos += 16) {
      v1 = round(v1, view.getUint32(pos, true));
      v2 = round(v2, view.getUint32(pos + 4, true));
      v3 = round(v3, view.getUint32(pos + 8, true));
      v4 = round(v4, view.getUint32(pos + 12, true));
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    acc = (seed + PRIME5) >>> 0;
  }
  acc = (acc + length) >>> 0;
  for (; pos + 4 <= length; pos += 4) acc = mul(rotl((acc + mul(view.getUint32(pos, true), PRIME3)) >>> 0, 17), PRIME4);
  for (; pos < length; pos++) acc = mul(rotl((acc + mul(input[pos]!, PRIME5)) >>> 0, 11), PRIME1);
  acc = mul(acc ^ (acc >>> 15), PRIME2);
  acc = mul(acc ^ (acc >>> 13), PRIME3);
  return (acc ^ (acc >>> 16)) >>> 0;
}
