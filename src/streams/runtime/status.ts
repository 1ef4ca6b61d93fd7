/**
 * What a running application reports (KafkaStreams.status(), `brook streams run --json`): per
 * task its state, input positions and lag, counters and state size. Plain data: it crosses the
 * worker boundary by structured clone and goes out as JSON.
 */
export interface PartitionStatus {
  topic: string;
  partition: number;
  /** The next offset the task will process. */
  position: number;
  /** From the last fetch; -1 before the first. */
  highWatermark: number;
  lag: number;
}

export interface TaskStatus {
  taskId: string;
  state: 'restoring' | 'running';
  thread: number;
  partitions: PartitionStatus[];
  processedRecords: number;
  droppedRecords: number;
  skippedRecords: number;
  /** Bytes of the task's lmdb file. */
  stateBytes: number;
  restore: { restoredRecords: number; totalRecords: number; durationMs: number | null };
}

export interface ThreadStatus {
  thread: number;
  tasks: TaskStatus[];
  sentRecords: number;
  commits: number;
  /** Set when the thread stopped on an error. */
  error: string | null;
}

export type AppState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

export interface AppStatus {
  applicationId: string;
  state: AppState;
  memberId: string;
  generationId: number;
  threads: ThreadStatus[];
  totals: { processedRecords: number; lag: number; stateBytes: number; tasks: number };
}

export function totalsOf(threads: ThreadStatus[]): AppStatus['totals'] {
  const tasks = threads.flatMap((t) => t.tasks);
  return {
    processedRecords: tasks.reduce((s, t) => s + t.processedRecords, 0),
    lag: tasks.reduce((s, t) => s + t.partitions.reduce((p, q) => p + Math.max(0, q.lag), 0), 0),
    stateBytes: tasks.reduce((s, t) => s + t.stateBytes, 0),
    tasks: tasks.length,
  };
}
