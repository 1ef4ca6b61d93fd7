import { describe, expect, it } from 'vitest';
import { OutputBuffer } from '../../src/cli/bulk-output.js';
import type { ConsumerRecord } from '../../src/embedded/consumer.js';

const record = (key: string | null, value: Buffer | string | null): ConsumerRecord => ({
  topic: 't', partition: 0, offset: 7, timestamp: 1, headers: [],
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});

describe('OutputBuffer', () => {
  it('writes value lines byte for byte, with key<sep>value when a separator is given', () => {
    const plain = new OutputBuffer('value', null);
    const binary = Buffer.from([0, 255, 10, 13]);
    plain.add(record('k', 'v'));
    plain.add(record(null, null));
    plain.add(record(null, binary));
    plain.add(record(null, 'x'.repeat(100_000))); // forces growth past the starting capacity
    expect(plain.take()!.equals(Buffer.concat([Buffer.from('v\n\n'), binary, Buffer.from('\n' + 'x'.repeat(100_000) + '\n')]))).toBe(true);
    const keyed = new OutputBuffer('value', Buffer.from('::'));
    keyed.add(record('k', 'v'));
    keyed.add(record(null, 'w'));
    expect(keyed.take()!.toString()).toBe('k::v\n::w\n');
  });

  it('returns null when empty, and a taken buffer is not overwritten by later records', () => {
    const output = new OutputBuffer('value', null);
    expect(output.take()).toBeNull();
    output.add(record(null, 'first'));
    const taken = output.take()!;
    output.add(record(null, 'other'));
    expect(taken.toString()).toBe('first\n');
    expect(output.take()!.toString()).toBe('other\n');
  });

  it('formats --format json lines like formatRecord', () => {
    const output = new OutputBuffer('json', null);
    output.add(record('k', 'v'));
    expect(JSON.parse(output.take()!.toString())).toEqual({ topic: 't', partition: 0, offset: 7, timestamp: 1, key: 'k', value: 'v', headers: [] });
  });
});
