/**
 * A record stream (Kafka's KStream). Operations that may change the key (map, flatMap, selectKey)
 * mark the stream as needing a repartition: the next grouping or join sends it through a
 * repartition topic first, as Kafka does. Serdes are inherited where the type did not change and
 * otherwise come from the option objects or the builder's defaults.
 */
import type { Serde } from '../serdes.js';
import {
  branchNode, filterNode, flatMapNode, flatMapValuesNode, mapNode, mapValuesNode, passThroughNode, peekNode, selectKeyNode,
  type KeyValue, type KeyValueMapper, type Predicate, type ValueMapper,
} from '../processors/stateless.js';
import { sinkNode } from '../processors/sink.js';
import { streamTableJoinNode, tableSourceNode, storeGetter, type ValueJoiner } from '../processors/table.js';
import { streamJoinSideNode, type StreamJoinKind } from '../processors/stream-join.js';
import { WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS, type JoinWindows } from '../windows.js';
import { Serdes } from '../serdes.js';
import { addNode, addStore, keySerdeOf, repartition, valueSerdeOf, type Dsl, type KnownSerdes } from './internal.js';
import type { Branched, Grouped, Joined, Materialized, Produced, Repartitioned, StreamJoined } from './options.js';
import type { TopologyNode } from './topology.js';
import { KGroupedStream } from './grouped.js';
import { KTable } from './ktable.js';

export class KStream<K, V> {
  constructor(
    private readonly dsl: Dsl,
    /** @internal */ readonly node: TopologyNode,
    /** @internal */ readonly serdes: KnownSerdes,
    /** @internal The key may have changed since the last (re)partitioning. */
    readonly repartitionRequired: boolean,
  ) {}

  filter(predicate: Predicate<K, V>): KStream<K, V> {
    return this.next('KSTREAM-FILTER', filterNode(predicate as Predicate<unknown, unknown>, false), this.serdes);
  }

  filterNot(predicate: Predicate<K, V>): KStream<K, V> {
    return this.next('KSTREAM-FILTER', filterNode(predicate as Predicate<unknown, unknown>, true), this.serdes);
  }

  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>): KStream<KR, VR> {
    return this.next('KSTREAM-MAP', mapNode(mapper as KeyValueMapper<unknown, unknown, KeyValue<unknown, unknown>>), {}, true);
  }

  mapValues<VR>(mapper: ValueMapper<K, V, VR>): KStream<K, VR> {
    return this.next('KSTREAM-MAPVALUES', mapValuesNode(mapper as ValueMapper<unknown, unknown, unknown>, false), { keySerde: this.serdes.keySerde });
  }

  flatMap<KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>): KStream<KR, VR> {
    return this.next('KSTREAM-FLATMAP', flatMapNode(mapper as KeyValueMapper<unknown, unknown, Iterable<KeyValue<unknown, unknown>>>), {}, true);
  }

  flatMapValues<VR>(mapper: ValueMapper<K, V, Iterable<VR>>): KStream<K, VR> {
    return this.next('KSTREAM-FLATMAPVALUES', flatMapValuesNode(mapper as ValueMapper<unknown, unknown, Iterable<unknown>>), { keySerde: this.serdes.keySerde });
  }

  selectKey<KR>(selector: KeyValueMapper<K, V, KR>): KStream<KR, V> {
    return this.next('KSTREAM-KEY-SELECT', selectKeyNode(selector as KeyValueMapper<unknown, unknown, unknown>), { valueSerde: this.serdes.valueSerde }, true);
  }

  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.next('KSTREAM-PEEK', peekNode(action as (key: unknown, value: unknown) => void), this.serdes);
  }

  /** A terminal operation: runs `action` for every record. */
  foreach(action: (key: K, value: V) => void): void {
    addNode(this.dsl, 'KSTREAM-FOREACH', [this.node], peekNode(action as (key: unknown, value: unknown) => void));
  }

  merge(other: KStream<K, V>): KStream<K, V> {
    const node = addNode(this.dsl, 'KSTREAM-MERGE', [this.node, other.node], passThroughNode());
    const same = this.serdes.keySerde === other.serdes.keySerde && this.serdes.valueSerde === other.serdes.valueSerde;
    return new KStream(this.dsl, node, same ? this.serdes : {}, this.repartitionRequired || other.repartitionRequired);
  }

  /** Splits by predicates: each record goes to the first branch that takes it (Kafka's split()). */
  split(named: { name?: string } = {}): BranchedKStream<K, V> {
    return new BranchedKStream(this.dsl, this, named.name ?? this.dsl.graph.names.make('KSTREAM-BRANCH') + '-');
  }

  /** The older branch API: one stream per predicate, in order. */
  branch(...predicates: Array<Predicate<K, V>>): Array<KStream<K, V>> {
    const node = addNode(this.dsl, 'KSTREAM-BRANCH', [this.node], branchNode(predicates as Array<Predicate<unknown, unknown>>));
    return predicates.map(() => new KStream<K, V>(this.dsl, addNode(this.dsl, 'KSTREAM-BRANCHCHILD', [node], passThroughNode()), this.serdes, this.repartitionRequired));
  }

  to(topic: string, produced: Produced<K, V> = {}): void {
    const keySerde = keySerdeOf(this.dsl, produced.keySerde as Serde<unknown>, this.serdes.keySerde);
    const valueSerde = valueSerdeOf(this.dsl, produced.valueSerde as Serde<unknown>, this.serdes.valueSerde);
    addNode(this.dsl, 'KSTREAM-SINK', [this.node], sinkNode({ topic, keySerde, valueSerde, dropNullKeys: false }));
  }

  /** An explicit repartition through `<applicationId>-<name>-repartition`. */
  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    const serdes = this.resolved(options);
    const source = repartition(this.dsl, this.node, options.name ?? this.dsl.graph.names.make('KSTREAM-REPARTITION'), serdes, options.numberOfPartitions ?? null);
    return new KStream(this.dsl, source, serdes, false);
  }

  /** The stream as a table: each record upserts its key (Kafka's toTable). */
  toTable(materialized?: Materialized<K, V>): KTable<K, V> {
    const from = this.repartitionRequired ? this.repartition() : this;
    const serdes = this.resolved(materialized ?? {});
    const store = addStore(this.dsl, 'keyValue', this.dsl.graph.names.make('KSTREAM-TOTABLE-STATE-STORE'), materialized as Materialized<unknown, unknown>, serdes);
    const node = addNode(this.dsl, 'KSTREAM-TOTABLE', [from.node], tableSourceNode(store.name, store.caching), [store.name]);
    return new KTable(this.dsl, node, serdes, storeGetter(store.name), [store.name], store.name, null);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream({ dsl: this.dsl, node: this.node, ...this.resolved(grouped), repartitionRequired: this.repartitionRequired, name: grouped.name });
  }

  groupBy<KR>(selector: KeyValueMapper<K, V, KR>, grouped: Grouped<KR, V> = {}): KGroupedStream<KR, V> {
    const selected = this.selectKey(selector);
    return new KGroupedStream({ dsl: this.dsl, node: selected.node, ...selected.resolved(grouped), repartitionRequired: true, name: grouped.name });
  }

  /** With a KTable: a stream-table join; with a KStream and JoinWindows: a windowed stream-stream join. */
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, joined?: Joined<K, V, VO>): KStream<K, VR>;
  join<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V, VO, VR>, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  join(other: KTable<K, unknown> | KStream<K, unknown>, joiner: ValueJoiner<V, never, unknown>, windowsOrJoined?: JoinWindows | Joined<K, V, unknown>, streamJoined?: StreamJoined<K, V, unknown>): KStream<K, unknown> {
    return this.joinAny(other, joiner as ValueJoiner<unknown, unknown, unknown>, 'inner', windowsOrJoined, streamJoined);
  }

  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, joined?: Joined<K, V, VO>): KStream<K, VR>;
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  leftJoin(other: KTable<K, unknown> | KStream<K, unknown>, joiner: ValueJoiner<V, never, unknown>, windowsOrJoined?: JoinWindows | Joined<K, V, unknown>, streamJoined?: StreamJoined<K, V, unknown>): KStream<K, unknown> {
    return this.joinAny(other, joiner as ValueJoiner<unknown, unknown, unknown>, 'left', windowsOrJoined, streamJoined);
  }

  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR> {
    return this.joinAny(other, joiner as ValueJoiner<unknown, unknown, unknown>, 'outer', windows, joined) as KStream<K, VR>;
  }

  /** @internal The serdes to use where bytes are needed: given, else known, else the defaults. */
  resolved(given: { keySerde?: Serde<unknown> | Serde<never>; valueSerde?: Serde<unknown> | Serde<never> }): { keySerde: Serde<unknown>; valueSerde: Serde<unknown> } {
    return {
      keySerde: keySerdeOf(this.dsl, given.keySerde as Serde<unknown>, this.serdes.keySerde),
      valueSerde: valueSerdeOf(this.dsl, given.valueSerde as Serde<unknown>, this.serdes.valueSerde),
    };
  }

  private next<KR, VR>(prefix: string, create: Parameters<typeof addNode>[3], serdes: KnownSerdes, keyChanged = false): KStream<KR, VR> {
    return new KStream<KR, VR>(this.dsl, addNode(this.dsl, prefix, [this.node], create), serdes, this.repartitionRequired || keyChanged);
  }

  private joinAny(other: KTable<K, unknown> | KStream<K, unknown>, joiner: ValueJoiner<unknown, unknown, unknown>, kind: StreamJoinKind,
    windowsOrJoined: JoinWindows | Joined<K, V, unknown> | undefined, streamJoined: StreamJoined<K, V, unknown> | undefined): KStream<K, unknown> {
    if (other instanceof KTable) {
      if (kind === 'outer') throw new Error('a stream-table join is inner or left');
      const joined = (windowsOrJoined ?? {}) as Joined<K, V, unknown>;
      const from = this.repartitionRequired ? this.repartition({ name: joined.name }) : this;
      const { getter, stores } = other.valueGetter();
      const node = addNode(this.dsl, 'KSTREAM-JOIN', [from.node], streamTableJoinNode(getter, joiner, kind), stores);
      this.dsl.graph.copartitionNodes.add(node);
      return new KStream(this.dsl, node, { keySerde: from.serdes.keySerde }, false);
    }
    if ((windowsOrJoined as { kind?: string } | undefined)?.kind !== 'join') throw new Error('a stream-stream join needs JoinWindows');
    return this.streamJoin(other, joiner, kind, windowsOrJoined as JoinWindows, streamJoined ?? {});
  }

  private streamJoin(other: KStream<K, unknown>, joiner: ValueJoiner<unknown, unknown, unknown>, kind: StreamJoinKind, windows: JoinWindows, joined: StreamJoined<K, V, unknown>): KStream<K, unknown> {
    const left = this.repartitionRequired ? this.repartition({ name: joined.name ? `${joined.name}-left` : undefined }) : this;
    const right = other.repartitionRequired ? other.repartition({ name: joined.name ? `${joined.name}-right` : undefined }) : other;
    const keySerde = keySerdeOf(this.dsl, joined.keySerde as never, left.serdes.keySerde, right.serdes.keySerde);
    const leftValueSerde = valueSerdeOf(this.dsl, joined.valueSerde as never, left.serdes.valueSerde);
    const rightValueSerde = valueSerdeOf(this.dsl, joined.otherValueSerde as never, right.serdes.valueSerde);
    const retentionMs = windows.retentionMs;
    const buffer = (name: string, valueSerde: Serde<unknown>) => addStore(this.dsl, 'window', name,
      { loggingEnabled: joined.loggingEnabled } as Materialized<unknown, unknown>, { keySerde, valueSerde },
      { retentionMs, retainDuplicates: true, caching: false, queryable: false, changelogConfigs: { 'retention.ms': String(retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS) } });
    const prefix = joined.storeName;
    const leftStore = buffer(prefix ? `${prefix}-this-join-store` : this.dsl.graph.names.make('KSTREAM-JOINTHIS') + '-store', leftValueSerde);
    const rightStore = buffer(prefix ? `${prefix}-other-join-store` : this.dsl.graph.names.make('KSTREAM-JOINOTHER') + '-store', rightValueSerde);
    const outerStore = kind === 'inner' ? null
      : buffer(prefix ? `${prefix}-outer-shared-join-store` : this.dsl.graph.names.make('KSTREAM-OUTERSHARED') + '-store', outerValueSerde(leftValueSerde, rightValueSerde));
    const stores = { left: leftStore.name, right: rightStore.name, outer: outerStore?.name ?? null };
    const storeNames = [leftStore.name, rightStore.name, ...(outerStore === null ? [] : [outerStore.name])];
    const spec = { windows, joiner, kind, stores };
    const leftNode = addNode(this.dsl, 'KSTREAM-JOINTHIS', [left.node], streamJoinSideNode(spec, 'left'), storeNames);
    const rightNode = addNode(this.dsl, 'KSTREAM-JOINOTHER', [right.node], streamJoinSideNode(spec, 'right'), storeNames);
    this.dsl.graph.copartitionNodes.add(leftNode);
    const merged = addNode(this.dsl, 'KSTREAM-MERGE', [leftNode, rightNode], passThroughNode());
    return new KStream(this.dsl, merged, { keySerde }, false);
  }
}

/** The outer buffer's values: [side byte 0|1][that side's value bytes]. */
function outerValueSerde(left: Serde<unknown>, right: Serde<unknown>): Serde<unknown> {
  return Serdes.from<{ side: 'left' | 'right'; value: unknown }>({
    name: 'OuterJoinValue',
    serialize: (v) => Buffer.concat([Buffer.from([v.side === 'left' ? 0 : 1]), (v.side === 'left' ? left : right).serialize(v.value) ?? Buffer.alloc(0)]),
    deserialize: (bytes) => {
      const side = bytes[0] === 0 ? 'left' : 'right';
      return { side, value: (side === 'left' ? left : right).deserialize(bytes.subarray(1)) };
    },
  }) as Serde<unknown>;
}

/** What split() returns: add branches, then end with defaultBranch() or noDefaultBranch(). */
export class BranchedKStream<K, V> {
  private readonly predicates: Array<Predicate<unknown, unknown> | null> = [];
  private readonly node: TopologyNode;
  private readonly branches: Record<string, KStream<K, V>> = {};

  constructor(
    private readonly dsl: Dsl,
    private readonly parent: KStream<K, V>,
    private readonly prefix: string,
  ) {
    this.node = addNode(dsl, 'KSTREAM-BRANCH', [parent.node], branchNode(this.predicates));
  }

  branch(predicate: Predicate<K, V>, branched: Branched = {}): BranchedKStream<K, V> {
    this.add(predicate as Predicate<unknown, unknown>, branched.name ?? String(this.predicates.length + 1));
    return this;
  }

  /** The records no branch took; named `<prefix>0` unless named. Returns every branch by name. */
  defaultBranch(branched: Branched = {}): Record<string, KStream<K, V>> {
    this.add(null, branched.name ?? '0');
    return this.branches;
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    return this.branches;
  }

  private add(predicate: Predicate<unknown, unknown> | null, name: string): void {
    this.predicates.push(predicate);
    const child = addNode(this.dsl, 'KSTREAM-BRANCHCHILD', [this.node], passThroughNode());
    this.branches[this.prefix + name] = new KStream<K, V>(this.dsl, child, this.parent.serdes, this.parent.repartitionRequired);
  }
}
