/**
 * What the main thread and a coordinator worker say to each other (coordinator-worker.ts).
 *
 * Group traffic is low-rate control traffic (a join, a sync, a heartbeat every few seconds per
 * member, a commit every few seconds per consumer), so it travels by postMessage as plain objects
 * rather than through a SharedArrayBuffer ring: ~50 µs per hop is nothing next to a heartbeat
 * interval, and structured clone keeps the group code's objects intact (except that a Buffer
 * arrives as a plain Uint8Array: `rebuffer` turns those back into Buffers on arrival).
 */
import type { GroupConfig } from '../../groups/index.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { FaultSpec } from '../fault-injection.js';

/** The group API calls a worker serves; each maps to one GroupCoordinator method. */
export type GroupCall =
  | 'joinGroup'
  | 'syncGroup'
  | 'heartbeat'
  | 'leaveGroup'
  | 'offsetCommit'
  | 'offsetFetch'
  | 'listGroups'
  | 'describeGroups'
  | 'deleteGroups'
  | 'offsetDelete';

export interface CoordinatorWorkerData {
  /** This worker's index among the coordinator workers. */
  workerIndex: number;
  /** `<dataDir>/__consumer_offsets-<p>` for every offsets partition p this worker owns. */
  partitionDirs: { partition: number; dir: string }[];
  logConfig: LogConfig;
  groupConfig: Partial<GroupConfig>;
  /** Partition count per topic, for topicExists (updated with `topics` messages). */
  topics: [string, number][];
  tickIntervalMs: number;
  /** Tests only: open the offsets logs through a seeded FaultyIo (fault-injection.ts). */
  faults?: FaultSpec;
}

/** Main thread -> coordinator worker. */
export type CoordinatorRequest =
  | {
      type: 'call';
      requestId: number;
      /** The offsets partition whose GroupCoordinator serves this call. */
      partition: number;
      call: GroupCall;
      apiVersion: number;
      body: unknown;
      ctx: { clientId: string; clientHost: string };
    }
  /**
   * The same call on several offsets partitions this worker owns, answered with one result per
   * partition in order: requests about every group (ListGroups, the console, each /metrics scrape)
   * cost one hop per worker instead of one per offsets partition (50 by default).
   */
  | {
      type: 'callEach';
      requestId: number;
      partitions: number[];
      call: GroupCall;
      apiVersion: number;
      body: unknown;
      ctx: { clientId: string; clientHost: string };
    }
  /** Commit offsets for a group only if it has no members (the CLI's reset-offsets). */
  | { type: 'resetOffsets'; requestId: number; partition: number; groupId: string; offsets: OffsetToCommit[] }
  /** Partition counts that changed (0 = the topic was deleted). */
  | { type: 'topics'; changes: [string, number][] }
  | { type: 'shutdown'; requestId: number }
  /** Fault injection for tests; `powerLoss` (needs a FaultSpec) first drops every unsynced byte. */
  | { type: 'crash'; powerLoss?: boolean };

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

/** Coordinator worker -> main thread. */
export type { SupervisedEvent as CoordinatorEvent } from '../worker-protocol.js';

/**
 * Turns every plain Uint8Array inside a cloned message back into a Buffer (a view, no copy): the
 * group code and the wire codecs expect Buffers, and structured clone drops the subclass.
 */
export function rebuffer<T>(value: T): T {
  if (value instanceof Uint8Array) {
    return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)) as T;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rebuffer(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = rebuffer(record[key]);
  }
  return value;
}
