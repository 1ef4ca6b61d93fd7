/**
 * Grouped streams (Kafka's KGroupedStream, TimeWindowedKStream, SessionWindowedKStream): the
 * aggregations count, reduce and aggregate, per key or per key and window. When the stream's key
 * changed upstream (selectKey, map, groupBy), the records first go through a repartition topic
 * named after the aggregation's store (or Grouped's name), so every record of a key reaches the
 * same task.
 */
import { Serdes, type Serde } from '../serdes.js';
import {
  aggregateNode, aggregateSpec, countSpec, reduceSpec, timeWindowAggregateNode,
  type AggregationSpec, type Aggregator, type Initializer, type Reducer,
} from '../processors/aggregate.js';
import { slidingWindowAggregateNode } from '../processors/sliding-aggregate.js';
import { sessionAggregateNode, type Merger } from '../processors/session-aggregate.js';
import { storeGetter } from '../processors/table.js';
import { SessionWindows, SlidingWindows, TimeWindows, WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS, sessionWindowedSerde, timeWindowedSerde, type Windowed } from '../windows.js';
import { StreamsConfigError } from '../errors.js';
import { addNode, addStore, repartition, type Dsl } from './internal.js';
import type { Materialized } from './options.js';
import type { TopologyNode } from './topology.js';
import { KTable } from './ktable.js';

interface GroupedInput {
  dsl: Dsl;
  node: TopologyNode;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  /** The key changed upstream: repartition before aggregating. */
  repartitionRequired: boolean;
  /** Grouped.name: names the repartition topic. */
  name?: string;
}

/** The node to aggregate from: the input, or the source reading its repartition topic. */
function aggregationInput(input: GroupedInput, storeName: string): TopologyNode {
  if (!input.repartitionRequired) return input.node;
  return repartition(input.dsl, input.node, input.name ?? storeName, { keySerde: input.keySerde, valueSerde: input.valueSerde });
}

export class KGroupedStream<K, V> {
  constructor(private readonly input: GroupedInput) {}

  count(materialized?: Materialized<K, number>): KTable<K, number> {
    return this.aggregateWith('KSTREAM-AGGREGATE', countSpec, materialized, Serdes.Long() as Serde<unknown>) as KTable<K, number>;
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.aggregateWith('KSTREAM-REDUCE', reduceSpec(reducer as Reducer<unknown>), materialized, this.input.valueSerde) as KTable<K, V>;
  }

  aggregate<A>(initializer: Initializer<A>, aggregator: Aggregator<K, V, A>, materialized?: Materialized<K, A>): KTable<K, A> {
    const spec = aggregateSpec(initializer, aggregator as Aggregator<unknown, unknown, unknown>);
    return this.aggregateWith('KSTREAM-AGGREGATE', spec, materialized, Serdes.JSON()) as KTable<K, A>;
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    // By kind, not instanceof: a topology module may import its windows from another copy of Brook.
    if (windows?.kind === 'session') return new SessionWindowedKStream(this.input, windows as SessionWindows);
    if (windows?.kind === 'time' || windows?.kind === 'sliding') return new TimeWindowedKStream(this.input, windows as TimeWindows | SlidingWindows);
    throw new StreamsConfigError('windowedBy takes TimeWindows, SlidingWindows or SessionWindows');
  }

  private aggregateWith(prefix: string, spec: AggregationSpec, materialized: Materialized<unknown, unknown> | undefined, valueSerde: Serde<unknown>): KTable<unknown, unknown> {
    const { dsl } = this.input;
    const store = addStore(dsl, 'keyValue', dsl.graph.names.make(`${prefix}-STATE-STORE`), materialized, {
      keySerde: materialized?.keySerde ?? this.input.keySerde,
      valueSerde: materialized?.valueSerde ?? valueSerde,
    });
    const from = aggregationInput(this.input, store.name);
    const node = addNode(dsl, prefix, [from], aggregateNode(store.name, spec, store.caching), [store.name]);
    node.readsValue = spec !== countSpec;
    return new KTable(dsl, node, { keySerde: store.keySerde, valueSerde: store.valueSerde }, storeGetter(store.name), [store.name], store.name, null);
  }
}

function windowRetention(windows: TimeWindows | SlidingWindows | SessionWindows, materialized: Materialized<unknown, unknown> | undefined): number {
  const minimum = windows.retentionMs;
  const asked = materialized?.retentionMs;
  if (asked !== undefined && asked < minimum) throw new StreamsConfigError(`retentionMs ${asked} is shorter than the windows need (${minimum} ms: size or gap plus grace)`);
  return asked ?? minimum;
}

function windowedChangelogConfigs(retentionMs: number): Record<string, string> {
  return { 'retention.ms': String(retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS) };
}

export class TimeWindowedKStream<K, V> {
  constructor(
    private readonly input: GroupedInput,
    private readonly windows: TimeWindows | SlidingWindows,
  ) {}

  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregateWith(countSpec, materialized, Serdes.Long() as Serde<unknown>) as KTable<Windowed<K>, number>;
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V> {
    return this.aggregateWith(reduceSpec(reducer as Reducer<unknown>), materialized, this.input.valueSerde) as KTable<Windowed<K>, V>;
  }

  aggregate<A>(initializer: Initializer<A>, aggregator: Aggregator<K, V, A>, materialized?: Materialized<K, A>): KTable<Windowed<K>, A> {
    return this.aggregateWith(aggregateSpec(initializer, aggregator as Aggregator<unknown, unknown, unknown>), materialized, Serdes.JSON()) as KTable<Windowed<K>, A>;
  }

  private aggregateWith(spec: AggregationSpec, materialized: Materialized<unknown, unknown> | undefined, valueSerde: Serde<unknown>): KTable<unknown, unknown> {
    const { dsl } = this.input;
    const windows = this.windows;
    const sizeMs = windows.kind === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
    const retentionMs = windowRetention(windows, materialized);
    const keySerde = materialized?.keySerde ?? this.input.keySerde;
    const store = addStore(dsl, 'window', dsl.graph.names.make('KSTREAM-AGGREGATE-STATE-STORE'), materialized,
      { keySerde, valueSerde: materialized?.valueSerde ?? valueSerde },
      { retentionMs, windowSizeMs: sizeMs, changelogConfigs: windowedChangelogConfigs(retentionMs) });
    const from = aggregationInput(this.input, store.name);
    const create = windows.kind === 'time'
      ? timeWindowAggregateNode(store.name, windows, spec, store.caching)
      : slidingWindowAggregateNode(store.name, windows, spec, store.caching);
    const node = addNode(dsl, 'KSTREAM-AGGREGATE', [from], create, [store.name]);
    node.readsValue = !(spec === countSpec && windows.kind === 'time');
    return new KTable(dsl, node, { keySerde: timeWindowedSerde(keySerde, sizeMs) as Serde<unknown>, valueSerde: store.valueSerde }, null, [store.name], store.name,
      { graceMs: windows.graceMs, keySerde: timeWindowedSerde(keySerde, sizeMs) as Serde<unknown> });
  }
}

export class SessionWindowedKStream<K, V> {
  constructor(
    private readonly input: GroupedInput,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregateWith(countSpec, (_k, a, b) => (a as number) + (b as number), materialized, Serdes.Long() as Serde<unknown>) as KTable<Windowed<K>, number>;
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V> {
    const r = reducer as Reducer<unknown>;
    return this.aggregateWith(reduceSpec(r), (_k, a, b) => r(a, b), materialized, this.input.valueSerde) as KTable<Windowed<K>, V>;
  }

  aggregate<A>(initializer: Initializer<A>, aggregator: Aggregator<K, V, A>, merger: Merger<K, A>, materialized?: Materialized<K, A>): KTable<Windowed<K>, A> {
    return this.aggregateWith(aggregateSpec(initializer, aggregator as Aggregator<unknown, unknown, unknown>), merger as Merger<unknown, unknown>, materialized, Serdes.JSON()) as KTable<Windowed<K>, A>;
  }

  private aggregateWith(spec: AggregationSpec, merger: Merger<unknown, unknown>, materialized: Materialized<unknown, unknown> | undefined, valueSerde: Serde<unknown>): KTable<unknown, unknown> {
    const { dsl } = this.input;
    const retentionMs = windowRetention(this.windows, materialized);
    const keySerde = materialized?.keySerde ?? this.input.keySerde;
    const store = addStore(dsl, 'session', dsl.graph.names.make('KSTREAM-AGGREGATE-STATE-STORE'), materialized,
      { keySerde, valueSerde: materialized?.valueSerde ?? valueSerde },
      { retentionMs, changelogConfigs: windowedChangelogConfigs(retentionMs) });
    const from = aggregationInput(this.input, store.name);
    const node = addNode(dsl, 'KSTREAM-AGGREGATE', [from], sessionAggregateNode(store.name, this.windows, spec, merger, store.caching), [store.name]);
    const windowedSerde = sessionWindowedSerde(keySerde) as Serde<unknown>;
    return new KTable(dsl, node, { keySerde: windowedSerde, valueSerde: store.valueSerde }, null, [store.name], store.name, { graceMs: this.windows.graceMs, keySerde: windowedSerde });
  }
}
