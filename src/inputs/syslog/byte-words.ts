/**
 * Four bytes at a time for the syslog byte path (rfc5424-bytes.ts, batch-encoder.ts). A loop
 * over a Buffer costs a few nanoseconds per byte, and a native call (copyWithin, compare,
 * indexOf) 40 to 70 ns whatever its length; a DataView's getInt32 is one unaligned load once
 * optimized, so the short runs of a syslog line (a header, a timestamp's second, a message of
 * some dozens of bytes) go fastest a word at a time.
 * Main thread or a listener's thread; the view cache is per thread (module state).
 */

/** The view of the last buffer asked for: the encoder works on one slab at a time. */
let viewed: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/** A DataView over `bytes` (cached for the last buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== viewed) {
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    viewed = bytes;
  }
  return view;
}

/** True when bytes[a, a + length) equals bytes[b, b + length) (both within `bytes`). */
export function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  if (length < 4) {
    for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  }
  const words = viewOf(bytes);
  const last = length - 4;
  for (let i = 0; i < last; i += 4) if (words.getInt32(a + i) !== words.getInt32(b + i)) return false;
  return words.getInt32(a + last) === words.getInt32(b + last); // the last word may overlap the one before
}

/**
 * Copies bytes[start, end) to bytes[pos..] inside one buffer when the two ranges do not overlap
 * (the caller checks), a word at a time; for short runs only (a loop costs more than memmove
 * past some dozens of words).
 */
export function copyWords(bytes: Uint8Array, start: number, end: number, pos: number): void {
  const length = end - start;
  if (length < 4) {
    for (let i = 0; i < length; i++) bytes[pos + i] = bytes[start + i]!;
    return;
  }
  const words = viewOf(bytes);
  const last = length - 4;
  for (let i = 0; i < last; i += 4) words.setInt32(pos + i, words.getInt32(start + i));
  words.setInt32(pos + last, words.getInt32(start + last)); // overlapping the one before: the ranges do not overlap
}

const LOW_BITS = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;

/**
 * Whether bytes[start, end) holds a byte that a JSON string must escape (below 0x20, '"', '\')
 * or one of 0x80 and above: false means the bytes are printable ASCII, copied as they are.
 * Exact, by the "has a byte less than n" word tricks.
 */
export function mayNeedEscape(bytes: Uint8Array, start: number, end: number): boolean {
  let flags = 0;
  let i = start;
  if (end - start >= 4) {
    const words = viewOf(bytes);
    for (; i + 4 <= end; i += 4) {
      const w = words.getInt32(i);
      const quote = w ^ 0x22222222;
      const backslash = w ^ 0x5c5c5c5c;
      // A byte below 0x20 (control), a zero byte of w^'"' or of w^'\', or a high bit (non-ASCII).
      flags |= ((w - 0x20202020) & ~w) | ((quote - LOW_BITS) & ~quote) | ((backslash - LOW_BITS) & ~backslash) | w;
    }
  }
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) return true;
  }
  return (flags & HIGH_BITS) !== 0;
}

/** True when bytes[start, end) holds a byte of 0x80 or above (not ASCII). */
export function hasHighBytes(bytes: Uint8Array, start: number, end: number): boolean {
  let flags = 0;
  let i = start;
  if (end - start >= 4) {
    const words = viewOf(bytes);
    for (; i + 4 <= end; i += 4) flags |= words.getInt32(i);
  }
  for (; i < end; i++) flags |= bytes[i]! << 24;
  return (flags & HIGH_BITS) !== 0;
}

/** Copies inside one buffer up to this long go a word at a time; longer ones are a memmove. */
const WORD_COPY_BYTES_MAX = 48;

/**
 * source[start, end) to target[pos..]: inside one buffer by words when short and the ranges do
 * not overlap, else copyWithin (a memmove, no object); between buffers by hand for a few bytes,
 * else a native copy through a view.
 */
export function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, pos: number): number {
  const length = end - start;
  if (source === target) {
    if (length <= WORD_COPY_BYTES_MAX && (pos + length <= start || end <= pos)) copyWords(target, start, end, pos);
    else target.copyWithin(pos, start, end);
  } else if (length < 64) {
    for (let i = start; i < end; i++) target[pos++] = source[i]!;
    return pos;
  } else {
    target.set(source.subarray(start, end), pos);
  }
  return pos + length;
}
