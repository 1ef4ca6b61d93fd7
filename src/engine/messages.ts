/**
 * What the main thread and a partition worker say to each other outside the data plane.
 *
 * The data plane never uses these: produce frames go through the partition's ring and completions
 * come back through the completion ring (DESIGN.md rule 2). Control messages are rare (create,
 * config change, flush, delete, shutdown) and travel by postMessage as plain objects with a `type`
 * discriminant. Requests carry a `requestId`; the worker answers each with one `reply`.
 */
import type { LogConfig } from '../storage/log-config.js';
import { BrookError } from '../common/errors.js';
import type { FaultCommand, FaultSpec } from './fault-injection.js';

/** Everything a partition worker needs at start (worker_threads workerData). */
export interface PartitionWorkerData {
  topic: string;
  partition: number;
  /** The partition's directory, `<dataDir>/<topic>-<partition>`. */
  dir: string;
  config: LogConfig;
  /** Produce frames, main thread -> worker (ring.ts). */
  ringSab: SharedArrayBuffer;
  /** Completion frames, worker -> main thread (ring.ts), COMPLETION_PAYLOAD_BYTES each. */
  completionSab: SharedArrayBuffer;
  /** Published partition state (partition-state.ts). */
  stateSab: SharedArrayBuffer;
  tickIntervalMs: number;
  /** controlSeq when this worker was spawned: the state buffer outlives a crashed worker. */
  controlSeqAtStart: number;
  /** Tests only: open the log through a seeded FaultyIo (fault-injection.ts). */
  faults?: FaultSpec;
}

/** Main thread -> worker. */
export type WorkerRequest =
  | { type: 'updateConfig'; requestId: number; config: LogConfig }
  | { type: 'flush'; requestId: number }
  | { type: 'deleteRecords'; requestId: number; offset: number }
  /** DescribeProducers: the producers the partition's producer state remembers. */
  | { type: 'activeProducers'; requestId: number }
  /** Drain the ring, then close the log (clean-shutdown marker) or delete it (topic deletion), then exit. */
  | { type: 'shutdown'; requestId: number; deleteLog: boolean }
  /** Fault injection for tests: die the way a bug or an abort would. 'powerLoss' (needs a FaultSpec)
   *  first drops every byte not fsynced (FaultyIo.simulateCrash), then exits without closing. */
  | { type: 'crash'; mode: 'throw' | 'exit' | 'powerLoss' }
  /** Fault injection for tests: arm or clear I/O faults (needs a FaultSpec at start). */
  | { type: 'faults'; requestId: number; command: FaultCommand }
  /** Fault injection for tests: a slow disk. The worker blocks without draining its ring for `ms`
   *  or until the next control message is posted. */
  | { type: 'stall'; ms: number };

/** Worker -> main thread. */
export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'reply'; requestId: number; result?: unknown; error?: WireError }
  /** The log could not be opened; the worker exits after sending this. */
  | { type: 'fatal'; error: WireError };

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

export type WorkerRequestWithoutId = WorkerRequest extends infer R ? (R extends { requestId: number } ? Omit<R, 'requestId'> : never) : never;
