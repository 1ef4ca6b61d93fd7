/**
 * What every Brook worker thread and its supervisor (supervised-worker.ts) say to each other,
 * besides the messages of the worker's own kind. Kept apart from the supervisor so a worker loads
 * nothing of the main thread's side.
 *
 *   worker -> main  { type: 'ready' }                          started; requests are served
 *                   { type: 'fatal', error }                   could not start; exits next
 *                   { type: 'reply', requestId, result?, error? }
 *   main -> worker  any object with a numeric `requestId` gets exactly one reply.
 */
import { BrookError } from '../common/errors.js';

/** A BrookError as it crosses a thread boundary (STYLE.md, "Errors"). */
export interface WireError {
  code: string;
  message: string;
}

/** Any error as it crosses back to the main thread (a BrookError keeps its code). */
export function toWire(err: unknown): WireError {
  if (err instanceof BrookError) return err.toWire();
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export type SupervisedEvent =
  | { type: 'ready' }
  | { type: 'fatal'; error: WireError }
  | { type: 'reply'; requestId: number; result?: unknown; error?: WireError };
