/**
 * JSON string escapes on bytes, as JSON.stringify writes them for text decoded from UTF-8: '"'
 * and '\' get a backslash, controls below 0x20 the short escapes (\b \t \n \f \r) or \u00XX, and
 * every other byte (UTF-8 included) is kept. Used by the syslog byte path (rfc5424-bytes.ts,
 * rfc5424-sd-bytes.ts), whose output must equal the general path's JSON.stringify byte for byte.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** JSON.stringify's short escapes: \b \t \n \f \r. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/** Per byte, the bytes its JSON escape adds: \" \\ and the short escapes 1, other controls 5 (\u00XX). */
export const ESCAPE_EXTRA_BYTES = new Uint8Array(256).map((_, c) =>
  (c === QUOTE || c === BACKSLASH ? 1 : c >= 0x20 ? 0 : SHORT_ESCAPES[c] !== undefined ? 1 : 5));

/** Writes byte `c` as it appears inside a JSON string; returns the position after it. */
export function putEscaped(c: number, out: Uint8Array, pos: number): number {
  if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
    out[pos++] = c;
  } else if (c >= 0x20) {
    out[pos++] = BACKSLASH;
    out[pos++] = c;
  } else {
    out[pos++] = BACKSLASH;
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) {
      out[pos++] = short;
    } else {
      out[pos++] = 0x75; // u00XX
      out[pos++] = 0x30;
      out[pos++] = 0x30;
      out[pos++] = HEX[c >> 4]!;
      out[pos++] = HEX[c & 15]!;
    }
  }
  return pos;
}
