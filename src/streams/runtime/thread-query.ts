/**
 * Interactive queries against a thread's tasks (Kafka's interactive queries over local stores):
 * a key-value store answers get, range and all; a window store fetch (one key, a time range) and
 * fetchAll; a session store fetch (a key's sessions). Each task answers for its own partition;
 * results of all the thread's tasks with the store are merged. Reads see what the tasks have
 * processed, committed or not.
 *
 * Keys may come as text (from `brook streams query`): the store's key serde parses them. With
 * `format: 'json'` keys and values are rendered by their serdes' toJSON for HTTP answers.
 */
import type { Topology } from '../dsl/topology.js';
import { StateStoreError } from '../errors.js';
import type { KeyValueStore } from '../state/kv-store.js';
import type { StoreDef } from '../state/store.js';
import type { TimeKeyedStore } from '../state/time-keyed-store.js';
import type { Task } from './task.js';

export type StoreQuery =
  | { op: 'get'; store: string; key: unknown; keyIsText?: boolean; format?: 'json' }
  | { op: 'range'; store: string; from: unknown; to: unknown; keyIsText?: boolean; format?: 'json' }
  | { op: 'all'; store: string; format?: 'json' }
  | { op: 'fetch'; store: string; key: unknown; timeFrom: number; timeTo: number; keyIsText?: boolean; format?: 'json' }
  | { op: 'fetchAll'; store: string; timeFrom: number; timeTo: number; format?: 'json' };

export interface QueryEntry {
  key: unknown;
  value: unknown;
  timestamp: number;
  /** Window and session stores. */
  window?: { start: number; end: number };
}

export function storeDefFor(topology: Topology, name: string): StoreDef {
  const def = topology.stores.get(name);
  if (def === undefined || !def.queryable) {
    const names = [...topology.stores.values()].filter((d) => d.queryable).map((d) => d.name);
    throw new StateStoreError(`no queryable state store '${name}' (this application has: ${names.join(', ') || 'none'})`);
  }
  return def;
}

export function queryTasks(tasks: Task[], topology: Topology, query: StoreQuery): QueryEntry[] {
  const def = storeDefFor(topology, query.store);
  const parse = (key: unknown): unknown => ('keyIsText' in query && query.keyIsText && typeof key === 'string' ? def.keySerde.parse(key) : key);
  const entries: QueryEntry[] = [];
  for (const task of tasks) {
    const store = task.stores.get(def.name);
    if (store === undefined) continue;
    if (def.kind === 'keyValue') entries.push(...keyValueQuery(store as KeyValueStore, query, parse));
    else entries.push(...windowQuery(store as TimeKeyedStore, def, query, parse));
  }
  if (query.format !== 'json') return entries;
  return entries.map((e) => ({ ...e, key: def.keySerde.toJSON(e.key), value: def.valueSerde.toJSON(e.value) }));
}

function keyValueQuery(store: KeyValueStore, query: StoreQuery, parse: (k: unknown) => unknown): QueryEntry[] {
  switch (query.op) {
    case 'get': {
      const found = store.get(parse(query.key));
      return found === null ? [] : [{ key: parse(query.key), value: found.value, timestamp: found.timestamp }];
    }
    case 'range':
      return store.range(query.from === null ? null : parse(query.from), query.to === null ? null : parse(query.to));
    case 'all':
      return store.all();
    default:
      throw new StateStoreError(`'${query.op}' is for window and session stores; '${query.store}' is a key-value store (get, range, all)`);
  }
}

function windowQuery(store: TimeKeyedStore, def: StoreDef, query: StoreQuery, parse: (k: unknown) => unknown): QueryEntry[] {
  const session = def.kind === 'session';
  // A window's time is its start (end = start + size); a session's time is its end, its suffix the start.
  const windowOf = (time: number, suffix: number) => (session ? { start: suffix, end: time } : { start: time, end: time + (def.windowSizeMs ?? 0) });
  const asEntry = (e: { key: unknown; time: number; suffix: number; value: unknown; timestamp: number }): QueryEntry =>
    ({ key: e.key, value: e.value, timestamp: e.timestamp, window: windowOf(e.time, e.suffix) });
  switch (query.op) {
    case 'fetch':
    case 'get': {
      // Sessions are stored by end: a session overlapping [from, to] ends at or after `from`.
      const from = query.op === 'fetch' ? query.timeFrom : 0;
      const to = query.op === 'fetch' ? query.timeTo : Number.MAX_SAFE_INTEGER - 1;
      const found = store.fetch(parse(query.key), from, session ? Number.MAX_SAFE_INTEGER - 1 : to).map(asEntry);
      return session ? found.filter((e) => e.window!.start <= to) : found;
    }
    case 'fetchAll':
      return store.fetchAll(query.timeFrom, session ? Number.MAX_SAFE_INTEGER - 1 : query.timeTo).map(asEntry).filter((e) => e.window!.start <= query.timeTo);
    case 'all':
      return store.fetchAll(0, Number.MAX_SAFE_INTEGER - 1).map(asEntry);
    default:
      throw new StateStoreError(`'${query.op}' is for key-value stores; '${query.store}' is a ${def.kind} store (fetch, fetchAll, all)`);
  }
}
