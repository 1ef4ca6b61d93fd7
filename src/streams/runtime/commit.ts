/**
 * The commit path (at-least-once, Kafka's processing.guarantee=at_least_once). In order:
 *
 *   1. flush      every task flushes caches and emit-final buffers downstream and hands its dirty
 *                 store entries to the record collector as changelog records
 *   2. produce    the collector's producer is flushed: every output, repartition and changelog
 *                 record sent so far is acknowledged (a failure stops here: nothing is committed)
 *   3. state      each task's flushed entries become lmdb writes (never before the changelog has
 *                 them), applied in the background while processing goes on
 *   4. offsets    the input offsets (the next offset after the last record processed, with the
 *                 task's partition time as metadata) are committed through the group
 *   5. checkpoint each task's checkpoint file records how far its changelogs are in lmdb,
 *                 once lmdb has those writes on disk
 *
 * A crash before 4 completes replays the records processed since the previous commit: their
 * outputs are produced again and their updates applied again to state restored from the changelog
 * (README, "Streams: what a crash repeats"). With transactions, 2 and 4 would become one atomic
 * step (sendOffsetsToTransaction + commitTransaction) and nothing else here would change; Brook
 * has no transactions yet, so this stays at-least-once.
 */
import { writeCheckpoint, checkpointKey, type Checkpoint } from '../state/checkpoint.js';
import type { ProducerCollector } from './record-collector.js';
import type { Task } from './task.js';
import type { TaskRestorer } from './restore.js';

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka Streams keeps the partition time here so stream time survives restarts. */
  metadata: string;
}

export interface RunningTask {
  task: Task;
  restorer: TaskRestorer;
  /** Offsets committed so far per input queue topic (to commit only what moved). */
  committedOffsets: Map<string, number>;
}

export function encodeMetadata(partitionTime: number): string {
  return JSON.stringify({ partitionTime });
}

export function decodeMetadata(metadata: string | null | undefined): number {
  try {
    const parsed = JSON.parse(metadata ?? '') as { partitionTime?: unknown };
    return typeof parsed.partitionTime === 'number' ? parsed.partitionTime : -1;
  } catch {
    return -1;
  }
}

export interface CommitTarget {
  commitOffsets(offsets: OffsetToCommit[]): Promise<void>;
}

export interface CommitResult {
  offsets: OffsetToCommit[];
  /**
   * Steps 3 and 5, still running: lmdb writes and checkpoints. The thread goes on processing
   * meanwhile (the stores serve the flushed entries from memory until they are written) and waits
   * for it before its next commit; it rejects if lmdb fails.
   */
  stateWritten: Promise<void>;
}

/** Steps 1-5 for the given (restored) tasks; see the header. */
export async function commitTasks(tasks: RunningTask[], collector: ProducerCollector, target: CommitTarget): Promise<CommitResult> {
  for (const { task } of tasks) task.flush();
  await collector.flush();
  // Everything below was captured once the changelog acknowledged it: what lmdb gets, and the
  // changelog offsets its checkpoint may claim.
  const writes = tasks.map(({ task }) => task.takeStateWrites());
  const checkpoints = tasks.map((running) => checkpointOf(running, collector));
  const offsets: OffsetToCommit[] = [];
  for (const running of tasks) {
    for (const queue of running.task.queues) {
      if (queue.committableOffset < 0 || running.committedOffsets.get(queue.topic) === queue.committableOffset) continue;
      offsets.push({ topic: queue.topic, partition: queue.partition, offset: queue.committableOffset, metadata: encodeMetadata(queue.partitionTime) });
    }
  }
  if (offsets.length > 0) await target.commitOffsets(offsets);
  for (const running of tasks) {
    for (const queue of running.task.queues) if (queue.committableOffset >= 0) running.committedOffsets.set(queue.topic, queue.committableOffset);
  }
  const stateWritten = (async () => {
    for (let i = 0; i < tasks.length; i++) {
      const { task } = tasks[i]!;
      await task.applyStateWrites(writes[i]!);
      if (checkpoints[i]!.size === 0) continue;
      await task.local.durable();
      writeCheckpoint(task.local.dir, checkpoints[i]!);
    }
  })();
  stateWritten.catch(() => undefined); // the thread awaits it; never an unhandled rejection meanwhile
  return { offsets, stateWritten };
}

/** How far each changelog partition of the task will be in lmdb once its flushed writes land. */
function checkpointOf(running: RunningTask, collector: ProducerCollector): Checkpoint {
  const { task, restorer } = running;
  const checkpoint: Checkpoint = new Map();
  for (const topic of task.changelogs().keys()) {
    const written = collector.nextOffset(topic, task.taskId.partition) ?? -1;
    const restored = restorer.restoredOffsets.get(topic) ?? 0;
    checkpoint.set(checkpointKey(topic, task.taskId.partition), Math.max(written, restored));
  }
  return checkpoint;
}
