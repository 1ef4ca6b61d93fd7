/**
 * Brook Streams' operating failures, each a BrookError with a stable code (Kafka Streams' exception
 * names in the comments). They cross the worker boundary as `{ code, message }` (toWire).
 */
import { BrookError } from '../common/errors.js';

/** The topology is not valid (Kafka's TopologyException): unknown store, co-partitioning, names. */
export class TopologyError extends BrookError {
  constructor(message: string) {
    super('TOPOLOGY', message);
  }
}

/** A config value is missing or out of range (Kafka's ConfigException). */
export class StreamsConfigError extends BrookError {
  constructor(message: string) {
    super('STREAMS_CONFIG', message);
  }
}

/** A key or value could not be (de)serialized (Kafka's SerializationException). */
export class SerializationError extends BrookError {
  constructor(message: string, cause?: unknown) {
    super('SERIALIZATION', message, { cause });
  }
}

/** A state store failed or is not available here (Kafka's InvalidStateStoreException). */
export class StateStoreError extends BrookError {
  constructor(message: string, cause?: unknown) {
    super('STATE_STORE', message, { cause });
  }
}

/**
 * The group moved on while this member still worked on its tasks (Kafka's TaskMigratedException):
 * its uncommitted work is dropped and the member rejoins; whoever owns the tasks now redoes it.
 */
export class TaskMigratedError extends BrookError {
  constructor(message: string) {
    super('TASK_MIGRATED', message);
  }
}
