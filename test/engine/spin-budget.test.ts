import { describe, expect, it } from 'vitest';
import { SpinBudget } from '../../src/engine/partition-state.js';

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
