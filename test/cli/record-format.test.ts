import { describe, expect, it } from 'vitest';
import { parseJsonLine, splitKey } from '../../src/cli/record-format.js';

const parse = (text: string) => parseJsonLine(Buffer.from(text));

describe('parseJsonLine', () => {
  it('reads key, value, headers (map or list), partition and timestamp', () => {
    const record = parse('{"key":"k","value":"v","headers":{"a":"1","b":null},"partition":2,"timestamp":5}');
    expect(record.key?.toString()).toBe('k');
    expect(record.value?.toString()).toBe('v');
    expect(record.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([['a', '1'], ['b', null]]);
    expect(record.partition).toBe(2);
    expect(record.timestamp).toBe(5);
    const listed = parse('{"value":"v","headers":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}');
    expect(listed.headers.map((h) => h.value?.toString())).toEqual(['1', '2']);
  });

  it('treats null value as a tombstone and stores a non-string value as its JSON text', () => {
    expect(parse('{"key":"k","value":null}').value).toBeNull();
    expect(parse('{"value":{"level":"info","n":1}}').value?.toString()).toBe('{"level":"info","n":1}');
  });

  it('reads keyBase64/valueBase64 (also in headers) as bytes, and ISO 8601 timestamps', () => {
    const record = parse('{"keyBase64":"/wA=","valueBase64":"gAE=","headers":[{"key":"h","valueBase64":"/w=="}],"timestamp":"2024-05-01T12:00:00.000Z"}');
    expect([...record.key!]).toEqual([0xff, 0x00]);
    expect([...record.value!]).toEqual([0x80, 0x01]);
    expect([...record.headers[0]!.value!]).toEqual([0xff]);
    expect(record.timestamp).toBe(Date.UTC(2024, 4, 1, 12));
  });

  it('accepts the topic and offset fields that consume --format json prints', () => {
    expect(parse('{"topic":"t","partition":0,"offset":7,"timestamp":1,"key":null,"value":"x","headers":[]}').value?.toString()).toBe('x');
  });

  it.each([
    ['not json', /invalid JSON/],
    ['[1,2]', /expected a JSON object/],
    ['{"key":"k"}', /missing "value"/],
    ['{"value":"v","vaule":"typo"}', /unknown field "vaule"/],
    ['{"value":"v","key":5}', /"key" must be a string or null/],
    ['{"value":"v","partition":-1}', /"partition" must be a non-negative integer/],
    ['{"value":"v","partition":1.5}', /"partition" must be a non-negative integer/],
    ['{"value":"v","headers":"x"}', /"headers" must be/],
    ['{"value":"v","headers":[{"value":"no key"}]}', /"headers"\[0\]/],
    ['{"value":"v","valueBase64":"dg=="}', /only one of "value" and "valueBase64"/],
    ['{"valueBase64":"not base64!"}', /"valueBase64" must be base64/],
    ['{"value":"v","timestamp":"yesterday"}', /"timestamp" must be epoch milliseconds or an ISO 8601 time/],
  ])('rejects %s with a message that says why', (line, message) => {
    expect(() => parse(line)).toThrow(message);
  });
});

describe('splitKey', () => {
  it('splits at the first separator only', () => {
    const { key, value } = splitKey(Buffer.from('k:v:w'), Buffer.from(':'));
    expect([key?.toString(), value.toString()]).toEqual(['k', 'v:w']);
  });

  it('makes a line without the separator a keyless record', () => {
    const { key, value } = splitKey(Buffer.from('plain'), Buffer.from('\t'));
    expect([key, value.toString()]).toEqual([null, 'plain']);
  });
});
