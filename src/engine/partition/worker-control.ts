/**
 * A partition worker's control words and counters, in one small SharedArrayBuffer per worker
 * (it outlives a crashed worker, so controlSeq keeps counting):
 *
 *   int32  field
 *   0      controlSeq     bumped by the MAIN thread per control message posted, so a worker blocked
 *                         on its ring knows to return to its event loop to read the message
 *   1      waitCount      WORKER: times it blocked in Atomics.wait on its ring
 *   2      sleeping       WORKER: 1 while blocked in Atomics.wait, else 0
 *   3      openCount      WORKER: partitions open on it
 *   4      deadlineRuns   WORKER: time-based runs (PartitionLog.tick) done
 *
 * The counters are for stats and for tests that must tell an idle worker (blocked, waitCount
 * still) from a polling one without measuring CPU time. They wrap at 2^31; readers compare.
 */
const CONTROL_WORDS = 8;
const CONTROL_SEQ_INDEX = 0;
const WAIT_COUNT_INDEX = 1;
const SLEEPING_INDEX = 2;
const OPEN_COUNT_INDEX = 3;
const DEADLINE_RUNS_INDEX = 4;

export interface WorkerCounters {
  waitCount: number;
  sleeping: boolean;
  openCount: number;
  deadlineRuns: number;
}

export class WorkerControl {
  private readonly words: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab, 0, CONTROL_WORDS);
  }

  static create(): WorkerControl {
    return new WorkerControl(new SharedArrayBuffer(CONTROL_WORDS * 4));
  }

  /** Main side: announce a control message. */
  bumpControlSeq(): void {
    Atomics.add(this.words, CONTROL_SEQ_INDEX, 1);
    Atomics.notify(this.words, CONTROL_SEQ_INDEX);
  }

  /** Worker side: blocks until controlSeq moves past `seen` or `timeoutMs` passes. */
  waitForControl(seen: number, timeoutMs: number): void {
    Atomics.wait(this.words, CONTROL_SEQ_INDEX, seen, timeoutMs);
  }

  controlSeq(): number {
    return Atomics.load(this.words, CONTROL_SEQ_INDEX);
  }

  /** Worker side: around each Atomics.wait on the ring. */
  enterWait(): void {
    Atomics.add(this.words, WAIT_COUNT_INDEX, 1);
    Atomics.store(this.words, SLEEPING_INDEX, 1);
  }

  leaveWait(): void {
    Atomics.store(this.words, SLEEPING_INDEX, 0);
  }

  setOpenCount(count: number): void {
    Atomics.store(this.words, OPEN_COUNT_INDEX, count);
  }

  countDeadlineRun(): void {
    Atomics.add(this.words, DEADLINE_RUNS_INDEX, 1);
  }

  counters(): WorkerCounters {
    return {
      waitCount: Atomics.load(this.words, WAIT_COUNT_INDEX),
      sleeping: Atomics.load(this.words, SLEEPING_INDEX) === 1,
      openCount: Atomics.load(this.words, OPEN_COUNT_INDEX),
      deadlineRuns: Atomics.load(this.words, DEADLINE_RUNS_INDEX),
    };
  }
}
