/**
 * Spinning before blocking: when a worker's ring runs dry it may poll it briefly instead of
 * sleeping at once, within a process-wide budget (SpinBudget) and its own recent luck (SpinBackoff).
 */
/**
 * Permission to spin, shared by every partition worker of a process (one Int32 word counting
 * spinning workers). A worker whose ring ran dry may poll it for SPIN_MS before it blocks in
 * Atomics.wait, but only while it holds a token: at most (cores - 1) workers spin at once, so the
 * main thread keeps a core and 16 workers on 2 cores do not burn the CPU the appends need.
 * Spinning as long as a wake-up costs (~50 µs) at most doubles the cost of a miss, and a hit saves
 * both the producer's notify and the consumer's wake-up.
 */
export class SpinBudget {
  private readonly word: Int32Array;

  constructor(readonly sab: SharedArrayBuffer, private readonly maxSpinners: number) {
    this.word = new Int32Array(sab, 0, 1);
  }

  static create(maxSpinners: number): SpinBudget {
    return new SpinBudget(new SharedArrayBuffer(4), maxSpinners);
  }

  tryAcquire(): boolean {
    if (this.maxSpinners <= 0) return false;
    if (Atomics.add(this.word, 0, 1) < this.maxSpinners) return true;
    Atomics.sub(this.word, 0, 1);
    return false;
  }

  release(): void {
    Atomics.sub(this.word, 0, 1);
  }
}

/**
 * Whether a worker whose ring ran dry should spin at all, from how its recent spins went. After
 * `missesBeforeSkipping` spins in a row that found nothing, it skips the next `skip` dry rings,
 * `skip` doubling with each further miss up to maxSkip; a spin that finds a frame starts over.
 * Spinning pays only while the main thread refills the ring within the spin. Measured on 2 vCPUs:
 * with one partition 84% of spins found a frame and spinning is worth ~5-8% of its throughput (a
 * single miss is noise there: skipping after each one cost ~5%); with 16 partitions under 1% did,
 * every core is busy, and a spin only takes CPU from the workers that have appends to do (~10% of
 * the 16-partition throughput). Only a probe that hits ends a backoff, so after an idle spell a
 * worker may go up to maxSkip dry rings without spinning (each a notify and a wake-up): cheap next
 * to the spins it saves. One per worker; not shared.
 */
export class SpinBackoff {
  private missesInARow = 0;
  private skip = 0;
  private dryRingsToSkip = 0;

  constructor(private readonly maxSkip: number, private readonly missesBeforeSkipping: number) {}

  /** Asked once per dry ring; false means go straight to Atomics.wait. */
  shouldSpin(): boolean {
    if (this.dryRingsToSkip === 0) return true;
    this.dryRingsToSkip--;
    return false;
  }

  /** The spin found a frame (or a control message). */
  hit(): void {
    this.missesInARow = 0;
    this.skip = 0;
  }

  /** The spin ran its full time and found nothing. */
  miss(): void {
    if (++this.missesInARow < this.missesBeforeSkipping) return;
    this.skip = Math.min(this.maxSkip, this.skip * 2 || 1);
    this.dryRingsToSkip = this.skip;
  }
}


