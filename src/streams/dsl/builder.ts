/**
 * The entry point of the DSL (Kafka's StreamsBuilder): streams and tables from topics, then
 * build() into a Topology that KafkaStreams runs (or TopologyTestDriver drives).
 */
import { Serdes, type Serde } from '../serdes.js';
import { passThroughNode } from '../processors/stateless.js';
import { storeGetter, tableSourceNode } from '../processors/table.js';
import { TopologyError } from '../errors.js';
import { addNode, addStore, type Dsl } from './internal.js';
import type { Consumed, Materialized } from './options.js';
import { GraphBuilder, TopologyNode, type Topology } from './topology.js';
import { KStream } from './kstream.js';
import { KTable } from './ktable.js';

export interface StreamsBuilderOptions {
  /** Serde of keys where none is given or inherited (Kafka's default.key.serde). Default String. */
  defaultKeySerde?: Serde<unknown>;
  /** Serde of values where none is given or inherited (default.value.serde). Default String. */
  defaultValueSerde?: Serde<unknown>;
}

export class StreamsBuilder {
  private readonly dsl: Dsl;
  private built: Topology | null = null;

  constructor(options: StreamsBuilderOptions = {}) {
    this.dsl = {
      graph: new GraphBuilder(),
      defaultKeySerde: options.defaultKeySerde ?? (Serdes.String() as Serde<unknown>),
      defaultValueSerde: options.defaultValueSerde ?? (Serdes.String() as Serde<unknown>),
    };
  }

  /** A stream of the records of one or more topics. */
  stream<K = string, V = string>(topics: string | string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const list = Array.isArray(topics) ? topics : [topics];
    if (list.length === 0) throw new TopologyError('stream() needs at least one topic');
    const keySerde = (consumed.keySerde as Serde<unknown> | undefined) ?? this.dsl.defaultKeySerde;
    const valueSerde = (consumed.valueSerde as Serde<unknown> | undefined) ?? this.dsl.defaultValueSerde;
    const node = new TopologyNode(this.dsl.graph.names.make('KSTREAM-SOURCE'), [], passThroughNode());
    this.dsl.graph.addSource({ node, topics: list, keySerde, valueSerde, timestampExtractor: consumed.timestampExtractor, repartition: false });
    return new KStream<K, V>(this.dsl, node, { keySerde, valueSerde }, false);
  }

  /** A table of the latest value per key of a topic (null values delete), materialized in a store. */
  table<K = string, V = string>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const source = this.stream<K, V>(topic, consumed);
    const serdes = { keySerde: source.serdes.keySerde!, valueSerde: source.serdes.valueSerde! };
    const generated = `${topic}-STATE-STORE-${this.dsl.graph.names.make('').slice(1)}`;
    const store = addStore(this.dsl, 'keyValue', generated, materialized as Materialized<unknown, unknown>, {
      keySerde: (materialized.keySerde as Serde<unknown> | undefined) ?? serdes.keySerde,
      valueSerde: (materialized.valueSerde as Serde<unknown> | undefined) ?? serdes.valueSerde,
    });
    const node = addNode(this.dsl, 'KTABLE-SOURCE', [source.node], tableSourceNode(store.name, store.caching), [store.name]);
    return new KTable<K, V>(this.dsl, node, serdes, storeGetter(store.name), [store.name], store.name, null);
  }

  /** The finished topology; the builder cannot be changed afterwards. */
  build(): Topology {
    this.built ??= this.dsl.graph.build();
    return this.built;
  }
}
