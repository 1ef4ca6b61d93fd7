import { describe, expect, it } from 'vitest';
import { SpinBackoff, SpinBudget } from '../../src/engine/partition/spin.js';

describe('SpinBudget', () => {
  it('lets at most maxSpinners spin at once, across views of the same shared word', () => {
    const a = SpinBudget.create(1);
    const b = new SpinBudget(a.sab, 1);
    expect(a.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // the other worker's view sees the token taken
    a.release();
    expect(b.tryAcquire()).toBe(true);
    b.release();
  });

  it('never grants a token when the machine has no core to spare', () => {
    const none = SpinBudget.create(0);
    expect(none.tryAcquire()).toBe(false);
    expect(none.tryAcquire()).toBe(false);
  });

  it('gives back a refused token, so refusals do not use up the budget', () => {
    const two = SpinBudget.create(2);
    expect([two.tryAcquire(), two.tryAcquire(), two.tryAcquire(), two.tryAcquire()]).toEqual([true, true, false, false]);
    two.release();
    expect(two.tryAcquire()).toBe(true);
  });
});

/** How many dry rings in a row the backoff refuses before it lets the worker spin again. */
function refusalsBeforeNextSpin(backoff: SpinBackoff): number {
  let refused = 0;
  while (!backoff.shouldSpin()) refused++;
  return refused;
}

describe('SpinBackoff', () => {
  it('keeps spinning through fewer misses in a row than its threshold', () => {
    const backoff = new SpinBackoff(64, 3);
    for (let i = 0; i < 10; i++) {
      backoff.miss();
      backoff.miss();
      expect(backoff.shouldSpin()).toBe(true);
      backoff.hit();
    }
  });

  it('then skips 1, 2, 4, ... dry rings per further miss in a row, up to its limit', () => {
    const backoff = new SpinBackoff(8, 3);
    const skipped: number[] = [];
    for (let i = 0; i < 8; i++) {
      backoff.miss();
      skipped.push(refusalsBeforeNextSpin(backoff));
    }
    expect(skipped).toEqual([0, 0, 1, 2, 4, 8, 8, 8]);
  });

  it('starts over after a spin that found a frame', () => {
    const backoff = new SpinBackoff(64, 2);
    for (let i = 0; i < 5; i++) {
      backoff.miss();
      refusalsBeforeNextSpin(backoff);
    }
    backoff.hit();
    expect(backoff.shouldSpin()).toBe(true);
    backoff.miss();
    expect(refusalsBeforeNextSpin(backoff)).toBe(0);
    backoff.miss();
    expect(refusalsBeforeNextSpin(backoff)).toBe(1);
  });
});
