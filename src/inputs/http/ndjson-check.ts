/**
 * Checks an NDJSON body line by line against JSON's grammar (RFC 8259) straight from its bytes,
 * without building a value: the HTTP ingest hot path only needs to know that every line holds
 * exactly one JSON value, and JSON.parse spends most of its time building objects that would be
 * thrown away. It accepts what JSON.parse(body.toString('utf8')) accepts per line: bytes of 0x80
 * and above inside strings (they decode to characters, or U+FFFD, which JSON.parse takes), never
 * outside them. The answer for any line it cannot vouch for is not 'ok', and the caller then
 * parses line by line and names the bad line.
 *
 *   'ok'       every line is one JSON value (surrounded by JSON whitespace at most)
 *   'blank'    some line is empty or whitespace only (no bad line seen before it)
 *   'invalid'  some line is not one JSON value
 *   'deep'     nesting past NESTING_MAX: not checked here
 */

export type NdjsonCheck = 'ok' | 'blank' | 'invalid' | 'deep';

/** Open objects and arrays tracked; deeper bodies go to JSON.parse. */
const NESTING_MAX = 512;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The lines of `body` (LF-separated; a last line without LF counts; an empty body is 'blank'). */
export function checkNdjson(body: Buffer): NdjsonCheck {
  const checker = new Checker(body);
  return checker.run();
}

class Checker {
  private pos = 0;
  /** 1 for an open object, 2 for an open array. */
  private readonly stack = new Uint8Array(NESTING_MAX);

  constructor(private readonly body: Buffer) {}

  run(): NdjsonCheck {
    const { body } = this;
    const end = body.length;
    if (end === 0) return 'blank';
    while (this.pos < end) {
      this.skipSpace();
      if (this.pos >= end || body[this.pos] === LF) return 'blank';
      const value = this.value();
      if (value !== 'ok') return value;
      this.skipSpace();
      if (this.pos < end) {
        if (body[this.pos] !== LF) return 'invalid';
        this.pos++;
      }
    }
    return 'ok';
  }

  /** JSON whitespace other than LF (LF ends the line). */
  private skipSpace(): void {
    const { body } = this;
    let c = body[this.pos];
    while (c === 0x20 || c === 0x09 || c === 0x0d) c = body[++this.pos];
  }

  /** One value, objects and arrays iteratively with an explicit stack (no recursion). */
  private value(): NdjsonCheck {
    const { body, stack } = this;
    let depth = 0;
    for (;;) {
      // A value starts here.
      this.skipSpace();
      const c = body[this.pos];
      if (c === 0x7b || c === 0x5b) {
        if (depth === NESTING_MAX) return 'deep';
        this.pos++;
        this.skipSpace();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (body[this.pos] === close) {
          this.pos++;
        } else {
          stack[depth++] = c === 0x7b ? 1 : 2;
          if (c === 0x7b && !this.memberName()) return 'invalid';
          continue;
        }
      } else if (!this.scalar(c)) {
        return 'invalid';
      }
      // After a value: close containers or go on to the next element.
      for (;;) {
        if (depth === 0) return 'ok';
        this.skipSpace();
        const next = body[this.pos++];
        const inObject = stack[depth - 1] === 1;
        if (next === 0x2c) {
          if (inObject && !this.memberName()) return 'invalid';
          break;
        }
        if (next !== (inObject ? 0x7d : 0x5d)) return 'invalid';
        depth--;
      }
    }
  }

  /** `"name" :` before a member's value. */
  private memberName(): boolean {
    this.skipSpace();
    if (!this.string()) return false;
    this.skipSpace();
    return this.body[this.pos++] === 0x3a;
  }

  private scalar(c: number | undefined): boolean {
    if (c === QUOTE) return this.string();
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    return false;
  }

  private string(): boolean {
    const { body } = this;
    if (body[this.pos] !== QUOTE) return false;
    let pos = this.pos + 1;
    for (;;) {
      const c = body[pos++];
      if (c === undefined || c < 0x20) return false; // the end, or an unescaped control (LF too)
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const e = body[pos++];
        if (e === 0x75) {
          for (let i = 0; i < 4; i++) if (!isHex(body[pos++])) return false;
        } else if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
          return false;
        }
      }
    }
    this.pos = pos;
    return true;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): boolean {
    const { body } = this;
    let pos = this.pos;
    if (body[pos] === 0x2d) pos++;
    if (body[pos] === 0x30) {
      pos++;
    } else {
      const start = pos;
      pos = digits(body, pos);
      if (pos === start) return false;
    }
    if (body[pos] === 0x2e) {
      const start = ++pos;
      pos = digits(body, pos);
      if (pos === start) return false;
    }
    if (body[pos] === 0x65 || body[pos] === 0x45) {
      pos++;
      if (body[pos] === 0x2b || body[pos] === 0x2d) pos++;
      const start = pos;
      pos = digits(body, pos);
      if (pos === start) return false;
    }
    this.pos = pos;
    return true;
  }

  private literal(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.body[this.pos + i] !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }
}

function digits(body: Buffer, pos: number): number {
  let c = body[pos];
  while (c !== undefined && c >= 0x30 && c <= 0x39) c = body[++pos];
  return pos;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
