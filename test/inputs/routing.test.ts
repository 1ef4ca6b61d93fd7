/** Routing: topic templates over fields, keys from fields, and the checks made at start. */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/common/errors.js';
import { fieldText, Routing } from '../../src/inputs/routing.js';
import { procAddress } from '../../src/inputs/syslog/udp-drops.js';
import { utf8CutBytes } from '../../src/inputs/long-lines.js';

describe('Routing', () => {
  it('renders templates from fields, nested and dotted keys included, into valid topic names', () => {
    const routing = new Routing({ topic: 'logs.{app}.{resource.service.name}' });
    expect(routing.topicFor({ app: 'web', resource: { 'service.name': 'check out/v2' } })).toBe('logs.web.check_out_v2');
    expect(routing.topicFor({ app: '' })).toBe('logs.unknown.unknown');
    expect(routing.topicFor(null)).toBe('logs.unknown.unknown');
    expect(new Routing({ topic: '{app}' }).topicFor({ app: '..' })).toBe('unknown');
    expect(new Routing({ topic: 'plain' }).isTemplate).toBe(false);
  });

  it('takes the key from a field (numbers printed, objects as JSON)', () => {
    const routing = new Routing({ topic: 't', keyField: 'user.id' });
    expect(routing.keyFor({ user: { id: 42 } })?.toString()).toBe('42');
    expect(routing.keyFor({ user: {} })).toBeNull();
    expect(fieldText({ a: { b: [1] } }, 'a')).toBe('{"b":[1]}');
  });

  it('refuses bad literals and partitioners at start', () => {
    expect(() => new Routing({ topic: 'logs/{app}' })).toThrow(InvalidConfigError);
    expect(() => new Routing({ topic: '' })).toThrow(InvalidConfigError);
    expect(() => new Routing({ topic: 't', partitioner: 'random' as 'key' })).toThrow(InvalidConfigError);
  });
});

describe('small helpers', () => {
  it('writes a socket address as /proc/net/udp does', () => {
    expect(procAddress('127.0.0.1', 5306)).toBe('0100007F:14BA');
    expect(procAddress('::1', 514)).toBe('00000000000000000000000001000000:0202');
  });

  it('cuts UTF-8 only between characters', () => {
    const bytes = Buffer.from('a€b'); // 61 e2 82 ac 62
    expect([1, 2, 3, 4, 5].map((length) => utf8CutBytes(bytes, 0, length))).toEqual([1, 1, 1, 4, 5]);
  });
});
