import { describe, expect, it } from 'vitest';
import { rangeAssignor, roundRobinAssignor, type Assignment } from '../../src/groups/assignors.js';

const subs = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([m, topics]) => [m, { topics }]));
const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));
const plain = (a: Assignment) => Object.fromEntries([...a].map(([m, t]) => [m, Object.fromEntries(t)]));

describe('range assignor (Kafka RangeAssignor)', () => {
  it('matches the documented example: C0 [t0p0,t0p1,t1p0,t1p1], C1 [t0p2,t1p2]', () => {
    const a = rangeAssignor.assign(counts({ t0: 3, t1: 3 }), subs({ C0: ['t0', 't1'], C1: ['t0', 't1'] }));
    expect(plain(a)).toEqual({ C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } });
  });

  it('gives the first members (sorted by id) one extra partition each', () => {
    const a = rangeAssignor.assign(counts({ t: 8 }), subs({ m3: ['t'], m1: ['t'], m2: ['t'] }));
    expect(plain(a)).toEqual({ m1: { t: [0, 1, 2] }, m2: { t: [3, 4, 5] }, m3: { t: [6, 7] } });
  });

  it('leaves members beyond the partition count empty and skips unknown topics', () => {
    const a = rangeAssignor.assign(counts({ t: 1 }), subs({ a: ['t', 'missing'], b: ['t'] }));
    expect(plain(a)).toEqual({ a: { t: [0] }, b: {} });
  });
});

describe('round-robin assignor (Kafka RoundRobinAssignor)', () => {
  it('matches the documented example: C0 [t0p0,t0p2,t1p1], C1 [t0p1,t1p0,t1p2]', () => {
    const a = roundRobinAssignor.assign(counts({ t0: 3, t1: 3 }), subs({ C0: ['t0', 't1'], C1: ['t0', 't1'] }));
    expect(plain(a)).toEqual({ C0: { t0: [0, 2], t1: [1] }, C1: { t0: [1], t1: [0, 2] } });
  });

  it('matches the documented unequal-subscription example', () => {
    const a = roundRobinAssignor.assign(
      counts({ t0: 1, t1: 2, t2: 3 }),
      subs({ C0: ['t0'], C1: ['t0', 't1'], C2: ['t0', 't1', 't2'] }),
    );
    expect(plain(a)).toEqual({ C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } });
  });

  it('assigns every partition of every subscribed topic exactly once', () => {
    const a = roundRobinAssignor.assign(counts({ x: 7, y: 5 }), subs({ m1: ['x'], m2: ['x', 'y'], m3: ['y'] }));
    const seen = new Set<string>();
    for (const [, topics] of a) for (const [t, ps] of topics) for (const p of ps) seen.add(`${t}-${p}`);
    expect(seen.size).toBe(12);
  });
});
