/** ReadSlots (src/storage/read-slots.ts): the bound, FIFO hand-over, and libuv's pool size. */
import { describe, expect, it } from 'vitest';
import { ReadSlots, threadpoolSize } from '../../src/storage/read-slots.js';

describe('ReadSlots', () => {
  it('grants up to max at once and hands each released slot to the longest waiter', async () => {
    const slots = new ReadSlots(2);
    const order: number[] = [];
    const holders = [0, 1, 2, 3, 4].map((i) => slots.acquire().then(() => order.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect([slots.activeCount, slots.waitingCount]).toEqual([2, 3]);
    slots.release();
    await holders[2];
    expect(order).toEqual([0, 1, 2]);
    expect(slots.activeCount).toBe(2); // handed over, not freed
    slots.release();
    slots.release();
    await Promise.all(holders);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    slots.release();
    slots.release();
    expect([slots.activeCount, slots.waitingCount]).toEqual([0, 0]);
  });

  it('refuses a release without an acquire and a non-positive size', () => {
    expect(() => new ReadSlots(1).release()).toThrow(/released more often/);
    expect(() => new ReadSlots(0)).toThrow();
  });

  it('takes libuv\'s threadpool size from UV_THREADPOOL_SIZE: 4 unless it is a positive integer, 1024 at most', () => {
    expect(threadpoolSize(undefined)).toBe(4);
    expect(threadpoolSize('16')).toBe(16);
    expect(threadpoolSize('0')).toBe(4);
    expect(threadpoolSize('lots')).toBe(4);
    expect(threadpoolSize('5000')).toBe(1024);
  });
});
