/** Brook Streams: everything `import { ... } from 'brook/streams'` offers. */
export { StreamsBuilder, type StreamsBuilderOptions } from './dsl/builder.js';
export { KStream, BranchedKStream } from './dsl/kstream.js';
export { KTable } from './dsl/ktable.js';
export { KGroupedStream, TimeWindowedKStream, SessionWindowedKStream } from './dsl/grouped.js';
export { Topology } from './dsl/topology.js';
export { Suppressed } from './dsl/options.js';
export type { Consumed, Produced, Grouped, Materialized, Joined, StreamJoined, Repartitioned, Branched } from './dsl/options.js';
export { Serdes, type Serde, type SerdeFunctions } from './serdes.js';
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows, timeWindowedSerde, sessionWindowedSerde, type Window, type Windowed } from './windows.js';
export type { StreamsConfig, DeserializationExceptionHandler } from './config.js';
export { TopologyTestDriver, type TestRecord, type CapturedRecord } from './test-driver.js';
export { KeyValueStore, type KeyValueEntry } from './state/kv-store.js';
export { TimeKeyedStore, type TimeKeyedEntry } from './state/time-keyed-store.js';
export { TopologyError, StreamsConfigError, SerializationError, StateStoreError, TaskMigratedError } from './errors.js';
export { KafkaStreams } from './kafka-streams.js';
export { ReadOnlyStore } from './query/read-only-store.js';
export type { QueryEntry } from './runtime/thread-query.js';
export type { AppStatus, AppState, TaskStatus, ThreadStatus, PartitionStatus } from './runtime/status.js';
