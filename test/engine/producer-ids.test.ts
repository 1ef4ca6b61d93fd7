import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRODUCER_ID_FILE_NAME, ProducerIdAllocator } from '../../src/engine/producer-ids.js';
import { BrookError } from '../../src/common/errors.js';
import { tempDir } from '../helpers/temp-dir.js';


describe('ProducerIdAllocator', () => {
  it('hands out increasing ids and reserves a block on disk before using it', () => {
    const dir = tempDir();
    const allocator = ProducerIdAllocator.open(dir, 10);
    expect([allocator.allocate(), allocator.allocate(), allocator.allocate()]).toEqual([0, 1, 2]);
    expect(fs.readFileSync(path.join(dir, PRODUCER_ID_FILE_NAME), 'utf8').trim()).toBe('10');
  });

  it('never repeats an id across reopen, even after a block was only partly used', () => {
    const dir = tempDir();
    const seen = new Set<number>();
    for (let run = 0; run < 5; run++) {
      const allocator = ProducerIdAllocator.open(dir, 4);
      for (let i = 0; i < 1 + run * 3; i++) {
        const id = allocator.allocate();
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(1 + 4 + 7 + 10 + 13);
  });

  it('refuses a producer-id file that does not hold a number', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, PRODUCER_ID_FILE_NAME), 'garbage\n');
    expect(() => ProducerIdAllocator.open(dir)).toThrow(BrookError);
  });
});
