/**
 * Shared memory between a partition worker and the main thread, besides the produce ring: each
 * partition's published state, the worker's control words and counters, and the completion codec.
 *
 * State buffer, one per partition (written by its worker, read by the main thread without a
 * round trip; it outlives a crashed worker and moves to its replacement):
 *
 *   byte  type    field
 *   0     -       (unused)
 *   8     int64   logStartOffset
 *   16    int64   logEndOffset
 *   24    int64   highWatermark   readers never go past it (DESIGN.md rule 4)
 *   32    int64   sizeBytes
 *   40    int64   segmentCount
 *   48    int64   recoveryPoint
 *
 * Each int64 is stored with Atomics.store, so no reader sees a torn value. The fields are not one
 * atomic snapshot: the worker stores highWatermark after the bytes below it are written to the log
 * file, which is all a reader needs (it reads files up to the watermark it loaded).
 *
 * Completion frame payload (one per produce frame, frameId = the produce slot id):
 *
 *   0   int32    errorCode
 *   4   int32    (padding)
 *   8   float64  baseOffset
 *   16  float64  logAppendTimeMs
 *   24  float64  logStartOffset
 */
import type { PartitionState } from '../broker-types.js';

const STATE_BYTES = 64;
const FIELDS = ['logStartOffset', 'logEndOffset', 'highWatermark', 'sizeBytes', 'segmentCount', 'recoveryPoint'] as const;
type Field = (typeof FIELDS)[number];
/** Field -> index in the int64 view (a property read, where FIELDS.indexOf was a search per read). */
const INDEX = Object.fromEntries(FIELDS.map((field, i) => [field, i])) as Record<Field, number>;

export const COMPLETION_PAYLOAD_BYTES = 32;

export function createStateBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(STATE_BYTES);
}

/** A view of a partition's state buffer. The worker writes it; the main thread reads it. */
export class SharedPartitionState {
  private readonly fields: BigInt64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.fields = new BigInt64Array(sab, 8, FIELDS.length);
  }

  /** Worker side. */
  publish(state: Record<Field, number>): void {
    // highWatermark last among the offsets: a reader that sees it also sees logEndOffset >= it.
    const order: Field[] = ['logStartOffset', 'logEndOffset', 'sizeBytes', 'segmentCount', 'recoveryPoint', 'highWatermark'];
    for (const field of order) Atomics.store(this.fields, INDEX[field], BigInt(state[field]));
  }

  get(field: Field): number {
    return Number(Atomics.load(this.fields, INDEX[field]));
  }

  snapshot(): PartitionState {
    const fields = this.fields;
    return {
      logStartOffset: Number(Atomics.load(fields, INDEX.logStartOffset)),
      logEndOffset: Number(Atomics.load(fields, INDEX.logEndOffset)),
      highWatermark: Number(Atomics.load(fields, INDEX.highWatermark)),
      sizeBytes: Number(Atomics.load(fields, INDEX.sizeBytes)),
      segmentCount: Number(Atomics.load(fields, INDEX.segmentCount)),
    };
  }
}

export interface Completion {
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export function encodeCompletion(view: Uint8Array, completion: Completion): void {
  const data = new DataView(view.buffer, view.byteOffset, COMPLETION_PAYLOAD_BYTES);
  data.setInt32(0, completion.errorCode, true);
  data.setFloat64(8, completion.baseOffset, true);
  data.setFloat64(16, completion.logAppendTimeMs, true);
  data.setFloat64(24, completion.logStartOffset, true);
}

export function decodeCompletion(view: Uint8Array): Completion {
  const data = new DataView(view.buffer, view.byteOffset, COMPLETION_PAYLOAD_BYTES);
  return {
    errorCode: data.getInt32(0, true),
    baseOffset: data.getFloat64(8, true),
    logAppendTimeMs: data.getFloat64(16, true),
    logStartOffset: data.getFloat64(24, true),
  };
}
