/**
 * The DSL's option objects, named after Kafka's parameter classes (Consumed, Produced, Grouped,
 * Materialized, Joined, StreamJoined, Repartitioned, Suppressed). Every field is optional: a serde
 * not given is inherited from upstream where the type did not change, else the builder's default.
 */
import type { Serde } from '../serdes.js';
import type { TimestampExtractor } from './topology.js';

export interface Consumed<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** Event time of a record; default the record's timestamp. */
  timestampExtractor?: TimestampExtractor;
}

export interface Produced<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

export interface Grouped<K, V> {
  /** Names the repartition topic (`<applicationId>-<name>-repartition`) when one is needed. */
  name?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

export interface Materialized<K, V> {
  /** The store's name: what app.store(name) and `brook streams query` use. Generated if absent. */
  storeName?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** Forward the latest value per key at commit instead of every update. Default true. */
  cachingEnabled?: boolean;
  /** Back the store with a changelog topic. Default true. */
  loggingEnabled?: boolean;
  /** Window stores: keep windows this long after they start (at least size + grace). */
  retentionMs?: number;
}

export interface Joined<K, V, VO> {
  name?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
}

export interface StreamJoined<K, V, VO> extends Joined<K, V, VO> {
  /** Prefix of the join buffers' store names. */
  storeName?: string;
  loggingEnabled?: boolean;
}

export interface Repartitioned<K, V> {
  name?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** Partitions of the repartition topic; default the largest partition count among the sources. */
  numberOfPartitions?: number;
}

export interface Branched {
  /** The branch's name in the map split() returns (prefixed by split's name). */
  name?: string;
}

/** suppress(Suppressed.untilWindowCloses()): emit only each window's final result. */
export interface Suppressed {
  kind: 'untilWindowCloses';
  name?: string;
}

export const Suppressed = {
  untilWindowCloses: (options: { name?: string } = {}): Suppressed => ({ kind: 'untilWindowCloses', ...options }),
};
