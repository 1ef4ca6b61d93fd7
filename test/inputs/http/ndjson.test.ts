/** NDJSON bodies: the whole-body fast path only when it is exactly one JSON value per line. */
import { describe, expect, it } from 'vitest';
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
