/**
 * The server-wide budget on fetched record bytes held in memory (FETCH_BYTES_IN_FLIGHT_MAX): bytes
 * a fetch read from segments count from the read until the socket has handed the response to the
 * kernel (or the connection is gone). One per BrookServer, main thread only; not thread-safe.
 *
 * Why: Kafka sends fetched bytes with sendfile and holds nothing; Brook reads them into buffers, and
 * a slow consumer's 50 MiB response waits in its socket's userland queue. Without a global bound,
 * N slow consumers hold N x fetch.max.bytes. With it, the read limit is what is left, and a fetch
 * over budget still gets one whole batch (KIP-74), so memory stays under budget + one batch per
 * connection and every consumer keeps moving.
 */
import { assert } from '../common/assert.js';
import type { FetchByteBudget } from '../engine/fetch.js';

export class FetchBudget implements FetchByteBudget {
  private inUse = 0;
  private peak = 0;

  constructor(readonly bytesMax: number) {}

  /** Bytes taken by fetch reads and not yet released. */
  get inUseBytes(): number {
    return this.inUse;
  }

  /** The most ever held at once (for the memory benchmark and tests). */
  get peakBytes(): number {
    return this.peak;
  }

  availableBytes(): number {
    return this.bytesMax - this.inUse;
  }

  take(bytes: number): void {
    assert(bytes >= 0, 'fetch budget takes a byte count');
    this.inUse += bytes;
    if (this.inUse > this.peak) this.peak = this.inUse;
  }

  release(bytes: number): void {
    this.inUse -= bytes;
    assert(this.inUse >= 0, 'fetch budget released more than was taken');
  }
}
