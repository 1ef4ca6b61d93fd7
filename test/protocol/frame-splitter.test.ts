import { describe, expect, it } from 'vitest';
import { FrameSizeError, FrameSplitter } from '../../src/protocol/frame-splitter.js';

function framed(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length, 0);
  return Buffer.concat([prefix, payload]);
}

describe('FrameSplitter', () => {
  it('cuts frames that arrive split at every byte boundary', () => {
    const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('a longer frame payload')];
    const stream = Buffer.concat(payloads.map(framed));
    for (let cut = 1; cut < stream.length; cut++) {
      const splitter = new FrameSplitter(1024);
      const frames: Buffer[] = [];
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        splitter.push(part);
        for (let frame = splitter.next(); frame !== undefined; frame = splitter.next()) frames.push(Buffer.from(frame));
      }
      expect(frames).toEqual(payloads);
      expect(splitter.bufferedBytes).toBe(0);
    }
  });

  it('returns a frame inside one chunk as a view of that chunk, not a copy', () => {
    const chunk = framed(Buffer.from('zero-copy'));
    const splitter = new FrameSplitter(1024);
    splitter.push(chunk);
    const frame = splitter.next()!;
    expect(frame.buffer).toBe(chunk.buffer);
    expect(frame.toString()).toBe('zero-copy');
  });

  it('refuses a size over the limit as soon as the 4 prefix bytes arrive', () => {
    const splitter = new FrameSplitter(100);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(101, 0);
    splitter.push(prefix);
    expect(() => splitter.next()).toThrow(FrameSizeError);
  });

  it('refuses a negative size', () => {
    const splitter = new FrameSplitter(100);
    splitter.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(() => splitter.next()).toThrow(FrameSizeError);
  });

  it('waits for the rest of a frame without allocating for the claimed size', () => {
    const splitter = new FrameSplitter(1 << 30);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE((1 << 30) - 1, 0);
    splitter.push(prefix);
    splitter.push(Buffer.from('only a few bytes'));
    expect(splitter.next()).toBeUndefined();
    expect(splitter.bufferedBytes).toBe(16);
  });
});
