/**
 * OTLP attribute keys are data: a key "__proto__" (or "constructor") is kept in the record like
 * any other, and none changes the prototype of the object it lands in or of any other.
 */
import { describe, expect, it } from 'vitest';
import { otlpLogRecords } from '../../../src/inputs/http/otlp-logs.js';

describe('OTLP attribute keys', () => {
  it('keeps "__proto__" and "constructor" as attributes', () => {
    const attributes = [
      { key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { stringValue: 'yes' } }] } } },
      { key: 'constructor', value: { stringValue: 'c' } },
      { key: 'plain', value: { intValue: '1' } },
    ];
    const body = Buffer.from(JSON.stringify({
      resourceLogs: [{ resource: { attributes }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' }, attributes }] }] }],
    }));
    const [record] = otlpLogRecords(body, 0);
    const value = record!.value!.toString('utf8');
    const kept = '{"__proto__":{"polluted":"yes"},"constructor":"c","plain":"1"}';
    expect(value).toContain(`"attributes":${kept}`);
    expect(value).toContain(`"resource":${kept}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
