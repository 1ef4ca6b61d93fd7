/**
 * Which inputs run over which log, so `GET /inputs` on the HTTP listener can answer their
 * counters: the serve process's inputs and HTTP ingest register under its Broker, an embedded
 * Brook's under its backend. Main thread only.
 */
import type { InputStats } from './stats.js';

const byOwner = new WeakMap<object, Set<InputStats>>();

export function registerInputStats(owner: object, stats: InputStats): void {
  let set = byOwner.get(owner);
  if (set === undefined) byOwner.set(owner, (set = new Set()));
  set.add(stats);
}

export function unregisterInputStats(owner: object, stats: InputStats): void {
  byOwner.get(owner)?.delete(stats);
}

export function inputStatsOf(owner: object): InputStats[] {
  return [...(byOwner.get(owner) ?? [])];
}
