/**
 * What the DSL classes share: the graph being built, the default serdes, and the helpers that add
 * nodes, stores and repartition topics.
 */
import type { Serde } from '../serdes.js';
import type { StoreDef, StoreKind } from '../state/store.js';
import { sinkNode } from '../processors/sink.js';
import { passThroughNode, type Create } from '../processors/stateless.js';
import { GraphBuilder, TopologyNode, type TimestampExtractor } from './topology.js';
import type { Materialized } from './options.js';

export interface Dsl {
  graph: GraphBuilder;
  defaultKeySerde: Serde<unknown>;
  defaultValueSerde: Serde<unknown>;
}

/** The serdes a stream or table knows for its records (undefined: the type changed, not known). */
export interface KnownSerdes {
  keySerde?: Serde<unknown>;
  valueSerde?: Serde<unknown>;
}

export function addNode(dsl: Dsl, prefix: string, parents: TopologyNode[], create: Create, stores: string[] = []): TopologyNode {
  return dsl.graph.addNode(new TopologyNode(dsl.graph.names.make(prefix), stores, create), parents);
}

export function keySerdeOf(dsl: Dsl, ...candidates: Array<Serde<unknown> | undefined>): Serde<unknown> {
  return candidates.find((s) => s !== undefined) ?? dsl.defaultKeySerde;
}

export function valueSerdeOf(dsl: Dsl, ...candidates: Array<Serde<unknown> | undefined>): Serde<unknown> {
  return candidates.find((s) => s !== undefined) ?? dsl.defaultValueSerde;
}

/** Declares a store from Materialized options; returns its definition. */
export function addStore(dsl: Dsl, kind: StoreKind, generatedName: string, materialized: Materialized<unknown, unknown> | undefined,
  serdes: { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }, extra: Partial<StoreDef> = {}): StoreDef {
  const def: StoreDef = {
    name: materialized?.storeName ?? generatedName,
    kind,
    keySerde: serdes.keySerde,
    valueSerde: serdes.valueSerde,
    logging: materialized?.loggingEnabled ?? true,
    caching: materialized?.cachingEnabled ?? true,
    queryable: true,
    ...extra,
  };
  dsl.graph.addStore(def);
  return def;
}

/**
 * Sends a stream through `<applicationId>-<name>-repartition` (Kafka's repartition topic) and
 * returns the source node that reads it back, so that records are partitioned by their current
 * key: a new sub-topology starts there.
 */
export function repartition(dsl: Dsl, parent: TopologyNode, name: string, serdes: { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }, partitions: number | null = null): TopologyNode {
  const topic = `${name}-repartition`;
  if (dsl.graph.repartitionTopics.has(topic)) throw new Error(`the repartition topic name '${topic}' is used twice; give each grouping its own name`);
  dsl.graph.repartitionTopics.set(topic, partitions);
  const sink = addNode(dsl, 'KSTREAM-SINK', [parent], sinkNode({ topic, ...serdes, dropNullKeys: true }));
  dsl.graph.markSink(sink, topic);
  const source = new TopologyNode(dsl.graph.names.make('KSTREAM-SOURCE'), [], passThroughNode());
  dsl.graph.addSource({ node: source, topics: [topic], ...serdes, repartition: true });
  return source;
}

export type { TimestampExtractor };
