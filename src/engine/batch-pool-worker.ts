/**
 * A piscina pool thread's task (produce-validation.ts): Kafka's LogValidator record pass over one
 * produce's batches (decompress, check, recompress), stateless. The batches arrive in a
 * transferred ArrayBuffer and go back the same way (Piscina.move), so neither side copies them
 * twice.
 */
import { move } from 'piscina';
import { validateProduce, type RecordPolicy, type TargetCompression } from '../storage/log-validator.js';

export interface BatchPoolTask {
  batches: Uint8Array;
  policy: RecordPolicy;
  nowMs: number;
  target: TargetCompression | null;
}

/** The batches to append, or the refusal. */
export type BatchPoolResult = Uint8Array | { errorCode: number; errorMessage: string };

export default function validateInPool(task: BatchPoolTask): BatchPoolResult {
  const batches = Buffer.from(task.batches.buffer, task.batches.byteOffset, task.batches.byteLength);
  const result = validateProduce(batches, task.policy, task.nowMs, task.target);
  if (!Buffer.isBuffer(result)) return result;
  // Only a buffer that owns its whole ArrayBuffer can be transferred (Node pools small ones).
  const owned = result.byteOffset === 0 && result.byteLength === result.buffer.byteLength ? new Uint8Array(result.buffer) : new Uint8Array(result);
  return move(owned) as Uint8Array;
}
