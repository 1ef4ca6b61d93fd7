/**
 * Restoring a task's stores from their changelogs (Kafka's StoreChangelogReader). For each logged
 * store: read the checkpoint (no checkpoint while the store holds data: wipe it, the data cannot
 * be vouched for), then fetch the changelog partition from the checkpointed offset up to the end
 * offset seen when restoration starts, applying each record to lmdb in one transaction per fetch.
 * A clean restart finds the checkpoint at the end offset and fetches nothing.
 *
 * Runs on the task's stream thread, one fetch at a time, between processing steps of other tasks.
 */
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetAt, type BrookBackend } from '../../embedded/backend.js';
import { forEachDataBatch, nextFetchOffset } from '../../embedded/record-delivery.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RecordWalker } from '../../protocol/record-walker.js';
import { KafkaError } from '../../embedded/kafka-error.js';
import { checkpointKey, readCheckpoint } from '../state/checkpoint.js';
import type { WriteOp } from '../state/local-store.js';
import type { Task } from './task.js';

const RESTORE_FETCH_BYTES = 4 * 1_048_576;

interface ChangelogRestore {
  topic: string;
  storeName: string;
  position: number;
  endOffset: number;
}

export class TaskRestorer {
  private readonly pending: ChangelogRestore[] = [];
  /** Next changelog offset per changelog topic once restored: the checkpoint until the task writes. */
  readonly restoredOffsets = new Map<string, number>();
  restoredRecords = 0;
  totalRecords = 0;
  startedMs = Date.now();
  finishedMs: number | null = null;
  private readonly walker = new RecordWalker();

  private constructor(
    private readonly task: Task,
    private readonly backend: BrookBackend,
  ) {}

  /** Prepares restoration (reading the checkpoint, wiping unvouched state); returns the restorer. */
  static async prepare(task: Task, backend: BrookBackend): Promise<{ restorer: TaskRestorer; wiped: boolean }> {
    const restorer = new TaskRestorer(task, backend);
    const checkpoint = readCheckpoint(task.local.dir);
    const changelogs = task.changelogs();
    const partition = task.taskId.partition;
    let wiped = false;
    const missing = [...changelogs.keys()].some((topic) => checkpoint?.get(checkpointKey(topic, partition)) === undefined);
    if (missing && [...task.stores.values()].some((s) => s.entryCount() > 0)) {
      await task.local.clear();
      wiped = true;
    }
    for (const [topic, storeName] of changelogs) {
      const endOffset = await offsetAt(backend, topic, partition, LATEST_TIMESTAMP, 'to restore a state store');
      const startOffset = await offsetAt(backend, topic, partition, EARLIEST_TIMESTAMP, 'to restore a state store');
      const checkpointed = wiped ? undefined : checkpoint?.get(checkpointKey(topic, partition));
      const position = Math.min(Math.max(checkpointed ?? startOffset, startOffset), endOffset);
      restorer.totalRecords += endOffset - position;
      restorer.restoredOffsets.set(topic, endOffset);
      if (position < endOffset) restorer.pending.push({ topic, storeName, position, endOffset });
    }
    return { restorer, wiped };
  }

  get done(): boolean {
    return this.pending.length === 0;
  }

  /** One fetch of one changelog, applied; resolves true when everything is restored. */
  async step(maxWaitMs: number): Promise<boolean> {
    const current = this.pending[0];
    if (current === undefined) return true;
    const [result] = await this.backend.fetch([{ topic: current.topic, partition: this.task.taskId.partition, fetchOffset: current.position, partitionMaxBytes: RESTORE_FETCH_BYTES }],
      { maxWaitMs, minBytes: 1, maxBytes: RESTORE_FETCH_BYTES });
    if (result === undefined || (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE)) {
      throw new KafkaError(result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `restoring ${current.topic}-${this.task.taskId.partition}`);
    }
    if (result.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      // Retention removed the start of a windowed changelog: what is gone had expired anyway.
      current.position = await offsetAt(this.backend, current.topic, this.task.taskId.partition, EARLIEST_TIMESTAMP);
    } else if (result.records !== null && result.records.length > 0) {
      await this.apply(current, result.records);
    }
    if (current.position >= current.endOffset) {
      this.pending.shift();
      this.task.stores.get(current.storeName)!.restored();
    }
    if (this.pending.length === 0) this.finishedMs = Date.now();
    return this.pending.length === 0;
  }

  private async apply(current: ChangelogRestore, records: Buffer): Promise<void> {
    const store = this.task.stores.get(current.storeName)!;
    const ops: WriteOp[] = [];
    let next = current.position;
    const fetched = { topic: current.topic, partition: this.task.taskId.partition, records, fromOffset: current.position, stopOffset: current.endOffset };
    forEachDataBatch(fetched, (batch) => {
      this.walker.reset(batch);
      while (this.walker.next()) {
        const offset = this.walker.offset;
        if (offset < current.position) continue;
        if (offset >= current.endOffset) return false;
        const key = this.walker.key();
        if (key !== null) for (const op of store.restore(Buffer.from(key), this.walker.value() === null ? null : Buffer.from(this.walker.value()!))) ops.push(op);
        next = offset + 1;
        this.restoredRecords++;
      }
      return true;
    });
    await this.task.local.write(ops);
    // Past the last whole batch: compaction leaves offset gaps inside and between batches.
    current.position = Math.max(next, nextFetchOffset(fetched));
  }
}
