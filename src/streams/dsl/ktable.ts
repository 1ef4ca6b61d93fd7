/**
 * A changelog stream seen as a table (Kafka's KTable): the latest value per key. Its records are
 * changes (new value, old value; null deletes). filter and mapValues apply to both sides of a
 * change; toStream turns the changes back into a stream; tables join tables by key; a windowed
 * table can suppress its updates until each window closes ("emit final").
 */
import type { Serde } from '../serdes.js';
import type { ValueGetterFactory } from '../processors/api.js';
import { mapValuesNode, passThroughNode, tableFilterNode, toStreamNode, type KeyValueMapper, type Predicate, type ValueMapper } from '../processors/stateless.js';
import { joinedGetter, tableTableJoinNode, type JoinKind, type ValueJoiner } from '../processors/table.js';
import { suppressNode } from '../processors/suppress.js';
import { TopologyError } from '../errors.js';
import { addNode, addStore, type Dsl, type KnownSerdes } from './internal.js';
import type { Materialized, Suppressed } from './options.js';
import type { TopologyNode } from './topology.js';
import { KStream } from './kstream.js';

export interface WindowedInfo {
  graceMs: number;
  keySerde: Serde<unknown>;
}

export class KTable<K, V> {
  constructor(
    private readonly dsl: Dsl,
    /** @internal */ readonly node: TopologyNode,
    /** @internal */ readonly serdes: KnownSerdes,
    /** How joins read this table's current values; null for windowed tables. */
    private readonly getter: ValueGetterFactory | null,
    /** Stores the getter reads (they must live in the joining task). */
    private readonly valueStores: string[],
    /** The store app.store() and `brook streams query` reach, if this table is materialized. */
    readonly queryableStoreName: string | null,
    private readonly windowed: WindowedInfo | null,
  ) {}

  filter(predicate: Predicate<K, V>): KTable<K, V> {
    return this.filtered(predicate as Predicate<unknown, unknown>, false);
  }

  filterNot(predicate: Predicate<K, V>): KTable<K, V> {
    return this.filtered(predicate as Predicate<unknown, unknown>, true);
  }

  mapValues<VR>(mapper: ValueMapper<K, V, VR>): KTable<K, VR> {
    const m = mapper as ValueMapper<unknown, unknown, unknown>;
    const node = addNode(this.dsl, 'KTABLE-MAPVALUES', [this.node], mapValuesNode(m, true));
    const getter = this.getter === null ? null : this.mapGetter((value, key) => m(value, key));
    return new KTable(this.dsl, node, { keySerde: this.serdes.keySerde }, getter, this.valueStores, null, this.windowed);
  }

  /** The table's changes as a stream (a deletion becomes a null value); a mapper may set a new key. */
  toStream<KR = K>(keyMapper?: KeyValueMapper<K, V, KR>): KStream<KR, V> {
    const node = addNode(this.dsl, 'KTABLE-TOSTREAM', [this.node], toStreamNode(keyMapper as KeyValueMapper<unknown, unknown, unknown> | undefined));
    const serdes = keyMapper === undefined ? this.serdes : { valueSerde: this.serdes.valueSerde };
    return new KStream<KR, V>(this.dsl, node, serdes, keyMapper !== undefined);
  }

  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>): KTable<K, VR> {
    return this.joinWith(other, joiner, 'inner');
  }

  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>): KTable<K, VR> {
    return this.joinWith(other, joiner, 'left');
  }

  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>): KTable<K, VR> {
    return this.joinWith(other, joiner, 'outer');
  }

  /** Emit only each window's final result, once stream time passes window end + grace. */
  suppress(suppressed: Suppressed, materialized?: Materialized<unknown, V>): KTable<K, V> {
    if (this.windowed === null) throw new TopologyError('suppress(untilWindowCloses) needs a windowed table (groupBy...windowedBy(...).count() and the like)');
    if (suppressed.kind !== 'untilWindowCloses') throw new TopologyError(`unsupported suppression '${String(suppressed.kind)}'`);
    const store = addStore(this.dsl, 'keyValue', suppressed.name ?? this.dsl.graph.names.make('KTABLE-SUPPRESS-STATE-STORE'), materialized,
      { keySerde: this.windowed.keySerde, valueSerde: materialized?.valueSerde ?? this.serdes.valueSerde ?? this.dsl.defaultValueSerde },
      { caching: false, queryable: false });
    const node = addNode(this.dsl, 'KTABLE-SUPPRESS', [this.node], suppressNode(store.name, this.windowed.graceMs), [store.name]);
    return new KTable(this.dsl, node, this.serdes, this.getter, this.valueStores, this.queryableStoreName, this.windowed);
  }

  /** @internal */
  valueGetter(): { getter: ValueGetterFactory; stores: string[] } {
    if (this.getter === null) throw new TopologyError('a windowed table cannot be joined; join its stream (toStream) instead');
    return { getter: this.getter, stores: this.valueStores };
  }

  private filtered(predicate: Predicate<unknown, unknown>, negate: boolean): KTable<K, V> {
    const node = addNode(this.dsl, 'KTABLE-FILTER', [this.node], tableFilterNode(predicate, negate));
    const getter = this.getter === null ? null : this.mapGetter((value, key) => (predicate(key, value) !== negate ? value : null));
    return new KTable(this.dsl, node, this.serdes, getter, this.valueStores, null, this.windowed);
  }

  private mapGetter(apply: (value: unknown, key: unknown) => unknown): ValueGetterFactory {
    const parent = this.getter!;
    return (context) => {
      const get = parent(context);
      return (key) => {
        const found = get(key);
        if (found === null) return null;
        const value = apply(found.value, key);
        return value === null ? null : { value, timestamp: found.timestamp };
      };
    };
  }

  private joinWith(other: KTable<K, unknown>, joiner: ValueJoiner<never, never, unknown>, kind: JoinKind): KTable<K, never> {
    const j = joiner as ValueJoiner<unknown, unknown, unknown>;
    const mine = this.valueGetter();
    const theirs = other.valueGetter();
    const leftNode = addNode(this.dsl, 'KTABLE-JOINTHIS', [this.node], tableTableJoinNode(theirs.getter, j, kind, true), theirs.stores);
    const rightNode = addNode(this.dsl, 'KTABLE-JOINOTHER', [other.node], tableTableJoinNode(mine.getter, j, kind, false), mine.stores);
    this.dsl.graph.copartitionNodes.add(leftNode);
    const merged = addNode(this.dsl, 'KTABLE-MERGE', [leftNode, rightNode], passThroughNode());
    return new KTable(this.dsl, merged, { keySerde: this.serdes.keySerde ?? other.serdes.keySerde }, joinedGetter(mine.getter, theirs.getter, j, kind),
      [...mine.stores, ...theirs.stores], null, null);
  }
}
