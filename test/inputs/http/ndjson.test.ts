/**
 * NDJSON bodies: the whole-body fast path only when it is exactly one JSON value per line, and the
 * byte-level check (ndjson-check.ts) agreeing with JSON.parse line by line on any body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNdjson } from '../../../src/inputs/http/ndjson-check.js';
import { ndjsonBody } from '../../../src/inputs/http/ndjson.js';
import { HttpIngestError } from '../../../src/inputs/http/ingest-errors.js';

function prepare(text: string, keyField: string | null = null): { text: string } | { records: string[] } {
  const prepared = ndjsonBody(Buffer.from(text), keyField, 0);
  return 'text' in prepared ? { text: prepared.text.toString() } : { records: prepared.records.map((r) => r.value!.toString()) };
}

describe('ndjsonBody', () => {
  it('sends a clean body as it is, and line by line when it has blank lines or a key field', () => {
    expect(prepare('{"a":1}\n[2]\n"three"\n')).toEqual({ text: '{"a":1}\n[2]\n"three"\n' });
    expect(prepare('{"a":1}\n\n  \n{"b":2}')).toEqual({ records: ['{"a":1}', '{"b":2}'] });
    expect(prepare('{"a":1}\r\n{"a":2}\r\n', 'a')).toEqual({ records: ['{"a":1}', '{"a":2}'] });
  });

  it('refuses a line holding two values, or none, naming the line', () => {
    for (const [body, line] of [['{"a":1}\n{"a":1},{"b":2}\n', 2], ['1 2\n', 1], ['{"a":1}\n{"a":\n', 2]] as const) {
      try {
        prepare(body);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(HttpIngestError);
        expect((error as HttpIngestError).message).toMatch(new RegExp(`^line ${line} `));
      }
    }
  });
});

/** What JSON.parse says of the body's lines: the check's answer must be the same. */
function parseVerdict(body: Buffer): string {
  const lines = body.toString('utf8').split('\n');
  if (body.length > 0 && body[body.length - 1] === 0x0a) lines.pop();
  if (lines.length === 0) return 'blank';
  for (const line of lines) {
    if (/^[ \t\r]*$/.test(line)) return 'blank';
    try {
      JSON.parse(line);
    } catch {
      return 'invalid';
    }
  }
  return 'ok';
}

describe('checkNdjson', () => {
  it('says ok exactly when JSON.parse takes every line, for any body', () => {
    // Valid lines from fast-check's JSON, mutated by a byte or cut short; also raw strings.
    const line = fc.oneof(
      fc.json(),
      fc.tuple(fc.json(), fc.nat(), fc.constantFrom(' ', '"', ',', '\\', '\u0001', '\r', '}', ']', '0', '-', 'e', '\ufeff', 'é', '\t')).map(([json, at, insert]) => {
        const i = at % (json.length + 1);
        return json.slice(0, i) + insert + json.slice(i);
      }),
      fc.tuple(fc.json(), fc.nat()).map(([json, cut]) => json.slice(0, cut % (json.length + 1))),
      fc.string(),
      fc.constantFrom('01', '-', '1.', '1e', '.5', '1.5e+3', '-0', 'tru', 'nul', '"\\u12g4"', '"\\x"', '[1,]', '{"a":1,}', '{"a" 1}', '{1:2}', ' [ ] ', '\r'),
    );
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), fc.boolean(), (lines, trailingNewline) => {
      const body = Buffer.from(lines.join('\n') + (trailingNewline ? '\n' : ''));
      const check = checkNdjson(body);
      // A line JSON.parse rejects for nesting would be 'deep' here; fc.json() stays shallow.
      expect(check).toBe(parseVerdict(body));
    }), { numRuns: 5000 });
  });

  it('takes bytes past 0x7f inside strings only, and answers deep nesting as such', () => {
    expect(checkNdjson(Buffer.from([0x22, 0xff, 0xfe, 0x22]))).toBe('ok');
    expect(checkNdjson(Buffer.from([0x5b, 0xff, 0x5d]))).toBe('invalid');
    expect(checkNdjson(Buffer.from(`${'['.repeat(600)}${']'.repeat(600)}`))).toBe('deep');
    expect(prepare(`${'['.repeat(600)}${']'.repeat(600)}\n`)).toEqual({ text: `${'['.repeat(600)}${']'.repeat(600)}\n` });
  });
});
