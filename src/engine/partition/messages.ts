/**
 * What the main thread and a partition worker say to each other outside the data plane.
 *
 * A partition worker owns many partitions. The data plane never uses these messages: produce
 * frames go through the worker's one ring, tagged with the partition's slot, and completions come
 * back through its completion ring (DESIGN.md rule 2). Control messages are rare (open, close,
 * config change, flush, delete records, shutdown) and travel by postMessage as plain objects with
 * a `type` discriminant; one `open` carries any number of partitions, so creating a topic of
 * 1,000 partitions is one message per worker. Requests carry a `requestId`; the worker answers
 * each with one `reply` (worker-protocol.ts).
 */
import type { LogConfig } from '../../storage/log-config.js';
import type { FaultCommand, FaultSpec } from '../fault-injection.js';

/** Everything a partition worker needs at start (worker_threads workerData). */
export interface PartitionWorkerData {
  workerIndex: number;
  /** Produce frames, main thread -> worker (ring.ts); payload layout in frame-layout.ts. */
  ringSab: SharedArrayBuffer;
  /** Completion frames, worker -> main thread (ring.ts), COMPLETION_PAYLOAD_BYTES each. */
  completionSab: SharedArrayBuffer;
  /** The worker's control words and counters (WorkerControl in partition-state.ts). */
  controlSab: SharedArrayBuffer;
  /** controlSeq when this worker was spawned: the control buffer outlives a crashed worker. */
  controlSeqAtStart: number;
  /** The process's spin budget (SpinBudget in partition-state.ts). */
  spinSab: SharedArrayBuffer;
  maxSpinners: number;
  /** Open file descriptors this worker may hold at once (its share of RLIMIT_NOFILE). */
  descriptorBudget: number;
  /** Tests only: open logs through a seeded FaultyIo (fault-injection.ts). */
  faults?: FaultSpec;
}

/** One partition as a worker opens it. */
export interface PartitionSpec {
  /** The worker-local number frames carry; unique among the worker's partitions. */
  slot: number;
  topic: string;
  partition: number;
  /** `<dataDir>/<topic>-<partition>`. */
  dir: string;
  config: LogConfig;
  /** Published partition state (SharedPartitionState); outlives a crashed worker. */
  stateSab: SharedArrayBuffer;
  /** A new partition: any directory at `dir` is leftover of a deleted topic and is removed first. */
  fresh: boolean;
}

/** Main thread -> worker. */
export type WorkerRequest =
  /** Opens (recovering if needed) each partition; the reply lists those that failed. */
  | { type: 'open'; requestId: number; partitions: PartitionSpec[] }
  /** Closes (clean-shutdown marker) or deletes the logs; the main thread has no produce of theirs in flight. */
  | { type: 'close'; requestId: number; slots: number[]; deleteLogs: boolean }
  | { type: 'updateConfig'; requestId: number; slots: number[]; config: LogConfig }
  /** Appends what the ring holds, then fsyncs these partitions (every open one when `slots` is absent). */
  | { type: 'flush'; requestId: number; slots?: number[] }
  | { type: 'deleteRecords'; requestId: number; slot: number; offset: number }
  /** DescribeProducers: the producers the partition's producer state remembers. */
  | { type: 'activeProducers'; requestId: number; slot: number }
  /** Drain the ring, close every log, then exit. */
  | { type: 'shutdown'; requestId: number }
  /** Fault injection for tests: die the way a bug or an abort would. 'powerLoss' (needs a FaultSpec)
   *  first drops every byte not fsynced (FaultyIo.simulateCrash), then exits without closing. */
  | { type: 'crash'; mode: 'throw' | 'exit' | 'powerLoss' }
  /** Fault injection for tests: arm or clear I/O faults (needs a FaultSpec at start). */
  | { type: 'faults'; requestId: number; command: FaultCommand }
  /** Fault injection for tests: a slow disk. The worker blocks without draining its ring for `ms`
   *  or until the next control message is posted. */
  | { type: 'stall'; ms: number };

/** The reply to `open`. */
export interface OpenReply {
  failed: { slot: number; error: { code: string; message: string } }[];
}

export type WorkerRequestWithoutId = WorkerRequest extends infer R ? (R extends { requestId: number } ? Omit<R, 'requestId'> : never) : never;
