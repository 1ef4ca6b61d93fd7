/**
 * From fetched bytes to a queued record: the source's serdes and timestamp extractor, and what
 * happens when they fail (Kafka's deserialization.exception.handler): 'logAndFail' (default)
 * stops the thread with the error; 'logAndContinue' logs and skips the record; a dead-letter
 * topic receives the record's original bytes with headers naming the failure (KIP-1034's
 * __streams.errors.* headers). A skipped record still counts as consumed, so it is never retried
 * and never silently lost: it is in the log line or in the dead-letter topic.
 */
import type { RecordHeader } from '../../protocol/record-batch.js';
import type { DeserializationExceptionHandler } from '../config.js';
import type { SourceDef } from '../dsl/topology.js';
import { SerializationError } from '../errors.js';
import type { Serde } from '../serdes.js';
import type { QueuedRecord, RecordQueue } from './record-queue.js';

export interface DeadLetterSink {
  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeader[]): void;
  /** One log line (stderr), rate-limited by the caller. */
  log(message: string): void;
}

/**
 * Where a record's key or value bytes are: [start, start + length) of `section` (length -1:
 * null). Fetched records are read in place from the batch, without a Buffer view per field
 * where the serde can (String).
 */
export interface BytesAt {
  section: Buffer;
  start: number;
  length: number;
}

function bytesOf(at: BytesAt): Buffer | null {
  return at.length < 0 ? null : at.section.subarray(at.start, at.start + at.length);
}

function read(serde: Serde<unknown>, at: BytesAt, topic: string): unknown {
  if (at.length < 0) return serde.deserialize(null, topic);
  if (serde.deserializeRange !== undefined) return serde.deserializeRange(at.section, at.start, at.start + at.length, topic);
  return serde.deserialize(at.section.subarray(at.start, at.start + at.length), topic);
}

/**
 * What a source whose values are never read (valuesUnread) gives its records as a non-null value.
 * A symbol: anything that did read or serialize it would fail loudly rather than pass it on.
 */
export const VALUE_NOT_DECODED: unique symbol = Symbol('brook.streams.valueNotDecoded');

/**
 * True when no record value of `source` is ever looked at beyond null or not: every node it feeds
 * only counts (TopologyNode.readsValue), no timestamp extractor sees the value, and its value
 * serde cannot fail (so skipping it cannot skip a deserialization error either). Decoding a
 * 100-byte value to a string was a third of a windowed count's time per record.
 */
export function valuesUnread(source: SourceDef): boolean {
  return source.valueSerde.total === true && source.timestampExtractor === undefined
    && source.node.children.length > 0 && source.node.children.every((child) => !child.readsValue);
}

export function deserializeInto(source: SourceDef, queue: RecordQueue, offset: number, recordTimestamp: number, keyAt: BytesAt, valueAt: BytesAt,
  headers: RecordHeader[], handler: DeserializationExceptionHandler, deadLetters: DeadLetterSink, valueUnread = false): QueuedRecord {
  let key: unknown;
  let value: unknown;
  let timestamp = recordTimestamp;
  try {
    key = read(source.keySerde, keyAt, queue.topic);
    value = valueUnread ? (valueAt.length < 0 ? null : VALUE_NOT_DECODED) : read(source.valueSerde, valueAt, queue.topic);
    if (source.timestampExtractor !== undefined) {
      timestamp = source.timestampExtractor({ key, value, timestamp: recordTimestamp, topic: queue.topic, partition: queue.partition, offset });
    }
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new SerializationError(`the record's timestamp ${String(timestamp)} is not a non-negative integer of milliseconds`);
    }
  } catch (err) {
    const where = `${queue.topic}-${queue.partition} offset ${offset}`;
    const message = err instanceof Error ? err.message : String(err);
    if (handler === 'logAndFail') throw new SerializationError(`cannot read the record at ${where}: ${message} (deserializationExceptionHandler: logAndFail)`, err);
    if (handler === 'logAndContinue') {
      deadLetters.log(`skipped the record at ${where}: ${message}`);
    } else {
      deadLetters.send(handler.deadLetterTopic, bytesOf(keyAt), bytesOf(valueAt), recordTimestamp, [
        ...headers,
        { key: '__streams.errors.exception', value: Buffer.from(err instanceof Error ? err.name : 'Error') },
        { key: '__streams.errors.message', value: Buffer.from(message) },
        { key: '__streams.errors.topic', value: Buffer.from(queue.topic) },
        { key: '__streams.errors.partition', value: Buffer.from(String(queue.partition)) },
        { key: '__streams.errors.offset', value: Buffer.from(String(offset)) },
      ]);
    }
    return { key: null, value: null, timestamp: recordTimestamp, headers, offset, skip: true };
  }
  return { key, value, timestamp, headers, offset };
}
