/**
 * Tables (Kafka's KTableSource, KStreamKTableJoin, KTableKTableJoin): a table's changes flow as
 * records carrying the new value and the old one; a null value deletes the key. Joins read the
 * other side through a value getter (a store read, through any filter or mapValues between the
 * store and the join, as Kafka's KTableValueGetter does).
 */
import type { KeyValueStore } from '../state/kv-store.js';
import type { ValueGetterFactory } from './api.js';
import type { Create } from './stateless.js';

export type ValueJoiner<V1, V2, R> = (value1: V1, value2: V2) => R;
export type JoinKind = 'inner' | 'left' | 'outer';

/** builder.table(topic): every record upserts (null value: deletes) its key in the store. */
export function tableSourceNode(storeName: string, caching: boolean): Create {
  return (context, forward) => {
    const store = context.store<KeyValueStore>(storeName);
    if (caching) store.setChangeListener((key, value, oldValue, timestamp) => forward({ key, value, oldValue, timestamp, headers: [] }));
    return {
      process(record) {
        if (record.key === null || record.key === undefined) {
          context.recordDropped('null key in a table');
          return;
        }
        const old = store.get(record.key);
        const value = record.value ?? null;
        store.put(record.key, value, record.timestamp);
        if (!caching && (value !== null || old !== null)) forward({ ...record, value, oldValue: old?.value ?? null });
      },
    };
  };
}

export function storeGetter(storeName: string): ValueGetterFactory {
  return (context) => {
    const store = context.store<KeyValueStore>(storeName);
    return (key) => store.get(key);
  };
}

/** KStream.join/leftJoin(table): each stream record looks its key up in the table. */
export function streamTableJoinNode(getter: ValueGetterFactory, joiner: ValueJoiner<unknown, unknown, unknown>, kind: 'inner' | 'left'): Create {
  return (context, forward) => {
    const get = getter(context);
    return {
      process(record) {
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          context.recordDropped('null key or value in a stream-table join');
          return;
        }
        const other = get(record.key);
        if (other === null && kind === 'inner') return;
        forward({ key: record.key, value: joiner(record.value, other?.value ?? null), timestamp: record.timestamp, headers: record.headers });
      },
    };
  };
}

/**
 * One side of KTable.join/leftJoin/outerJoin(table). `thisIsLeft` keeps the joiner's argument
 * order (left value first) whichever side changed.
 */
export function tableTableJoinNode(otherGetter: ValueGetterFactory, joiner: ValueJoiner<unknown, unknown, unknown>, kind: JoinKind, thisIsLeft: boolean): Create {
  const join = (mine: unknown, other: unknown): unknown => {
    const left = thisIsLeft ? mine : other;
    const right = thisIsLeft ? other : mine;
    if (left === null && right === null) return null;
    if (kind === 'inner' && (left === null || right === null)) return null;
    if (kind === 'left' && left === null) return null;
    return joiner(left, right);
  };
  return (context, forward) => {
    const get = otherGetter(context);
    return {
      process(record) {
        if (record.key === null || record.key === undefined) return;
        const other = get(record.key);
        const otherValue = other?.value ?? null;
        const value = join(record.value ?? null, otherValue);
        const oldValue = record.oldValue === undefined ? null : join(record.oldValue ?? null, otherValue);
        if (value === null && oldValue === null) return;
        const timestamp = Math.max(record.timestamp, other?.timestamp ?? record.timestamp);
        forward({ key: record.key, value, oldValue, timestamp, headers: record.headers });
      },
    };
  };
}

/** The value getter of a table-table join result: both getters, joined. */
export function joinedGetter(left: ValueGetterFactory, right: ValueGetterFactory, joiner: ValueJoiner<unknown, unknown, unknown>, kind: JoinKind): ValueGetterFactory {
  return (context) => {
    const getLeft = left(context);
    const getRight = right(context);
    return (key) => {
      const l = getLeft(key);
      const r = getRight(key);
      if ((kind === 'inner' && (l === null || r === null)) || (kind === 'left' && l === null) || (l === null && r === null)) return null;
      return { value: joiner(l?.value ?? null, r?.value ?? null), timestamp: Math.max(l?.timestamp ?? 0, r?.timestamp ?? 0) };
    };
  };
}
