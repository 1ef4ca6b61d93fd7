import type { BrookErrorCode } from './error-table.js';

/**
 * Operating failures: disk full, corrupt segment, bad config, a data dir in use. Each has a stable
 * string `code`; across a worker boundary they travel as `{ code, message }` and are rebuilt with
 * `fromWire`. Kafka error codes are not errors in this sense: handlers return them as data.
 */
export class BrookError extends Error {
  override name = 'BrookError';
  constructor(
    /** One of the closed set in error-table.ts, which maps each to its Kafka code. */
    readonly code: BrookErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toWire(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }

  static fromWire(wire: { code: string; message: string }): BrookError {
    return new BrookError(wire.code as BrookErrorCode, wire.message);
  }
}

/** A config value is unknown or out of range. Maps to Kafka's INVALID_CONFIG. */
export class InvalidConfigError extends BrookError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** A topic name breaks Kafka's naming rules. Maps to INVALID_TOPIC_EXCEPTION. */
export class InvalidTopicError extends BrookError {
  constructor(message: string) {
    super('INVALID_TOPIC', message);
  }
}

/** An I/O operation failed (EIO, ENOSPC, ...). Maps to KAFKA_STORAGE_ERROR. */
export class StorageError extends BrookError {
  constructor(message: string, cause?: unknown) {
    super('STORAGE_ERROR', message, { cause });
  }
}

/** Bytes that are not a valid record batch. Maps to CORRUPT_MESSAGE. */
export class CorruptRecordError extends BrookError {
  constructor(message: string) {
    super('CORRUPT_MESSAGE', message);
  }
}

/** Another process holds the data dir's lock. */
export class DataDirLockedError extends BrookError {
  constructor(message: string) {
    super('DATA_DIR_LOCKED', message);
  }
}

/**
 * A request that Kafka answers with a specific error code (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
 * ...), thrown by admin operations of the engine and turned back into that code by handlers.
 */
export class KafkaCodeError extends BrookError {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(`KAFKA_${errorCode}`, message);
  }
}
