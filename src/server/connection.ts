/**
 * One client connection: framing, pipelining, in-order responses, backpressure. Owned by the
 * BrookServer that accepted it; runs on the main thread only.
 *
 * Pipelining (Kafka's rule: responses on a connection come back in request order):
 *
 *   frames in:   [r1 produce] [r2 fetch] [r3 createTopics] [r4 produce]
 *   started:      r1, r2 at once ── r3 waits until r1 and r2 settle ── r4 waits for r3
 *   written:      r1, r2, r3, r4, each as soon as it and everything before it is done
 *
 * Data-plane requests (produce, fetch, metadata, ...) start the moment they arrive, so a fetch
 * long-poll does not hold up the produce behind it, and produce calls reach the Broker in request
 * order (the dispatcher starts a handler synchronously). Admin requests are "exclusive": they run
 * alone, after everything before them, so "create topic then produce to it" pipelined in one
 * connection behaves as if it were sequential.
 *
 * Backpressure: request bytes not yet answered plus response bytes queued in the socket are "in
 * flight"; above `inflightBytesMax` (or `inflightRequestsMax` requests) the socket is paused, so a
 * fast client cannot make the server buffer without limit. One request larger than the bound is
 * still read (it is already bounded by socket.request.max.bytes).
 */
import type { Socket } from 'node:net';
import { FrameSplitter, FrameSizeError } from '../protocol/frame-splitter.js';

/** A handler's verdict that the connection must be closed (undecodable header, protocol abuse). */
export const CLOSE_CONNECTION = Symbol('close-connection');
export type FrameOutcome = Buffer[] | null | typeof CLOSE_CONNECTION;

export interface FrameDispatcher {
  /** Must start the work synchronously (before its first await), so order of calls is kept. */
  /** `afterResponseWritten` registers a callback run once the frame's outcome is written or dropped. */
  dispatch(frame: Buffer, connection: Connection, afterResponseWritten?: (callback: () => void) => void): Promise<FrameOutcome>;
  isExclusive(frame: Buffer): boolean;
}

export interface ConnectionLimits {
  frameBytesMax: number;
  inflightBytesMax: number;
  inflightRequestsMax: number;
}

interface Slot {
  frameBytes: number;
  done: boolean;
  outcome: FrameOutcome;
  /** Run when the response has been handed to the kernel, or will never be (fetch budget release). */
  afterWrite: (() => void)[];
}

export class Connection {
  private readonly splitter: FrameSplitter;
  private readonly slots: Slot[] = [];
  private inflightRequestBytes = 0;
  private readonly running = new Set<Promise<void>>();
  /** Settles when the last exclusive request has finished; null when none is pending. */
  private gate: Promise<void> | null = null;
  private paused = false;
  private draining = false;
  private closed = false;
  private readonly closedCallbacks: (() => void)[] = [];

  constructor(
    readonly socket: Socket,
    private readonly dispatcher: FrameDispatcher,
    private readonly limits: ConnectionLimits,
    private readonly onError: (connection: Connection, error: unknown) => void = () => {},
  ) {
    this.splitter = new FrameSplitter(limits.frameBytesMax);
    // A server socket ends its own side as soon as the peer's FIN arrives unless half-open is
    // allowed, and every answer still pending would then fail with EPIPE; onEnd() ends our side
    // itself, once those answers are written.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.markClosed());
    socket.on('end', () => this.onEnd());
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClosed(callback: () => void): void {
    if (this.closed) callback();
    else this.closedCallbacks.push(callback);
  }

  /** Stops reading, lets in-flight requests finish and be answered, then closes. */
  async drainAndClose(): Promise<void> {
    this.draining = true;
    this.socket.pause();
    this.paused = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.socket.end();
    this.destroyLater();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    this.markClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.splitter.push(chunk);
    try {
      for (let frame = this.splitter.next(); frame !== undefined; frame = this.splitter.next()) {
        this.onFrame(frame);
        if (this.closed) return;
      }
    } catch (error) {
      if (error instanceof FrameSizeError) {
        this.onError(this, error);
        this.destroy();
        return;
      }
      throw error;
    }
    this.updateFlow();
  }

  private onEnd(): void {
    // The client half-closed: answer what is pending, then finish our side.
    void this.drainAndClose();
  }

  private onFrame(frame: Buffer): void {
    const slot: Slot = { frameBytes: frame.length, done: false, outcome: null, afterWrite: [] };
    this.slots.push(slot);
    this.inflightRequestBytes += frame.length;
    // A task never rejects: a rejected exclusive task would leave the gate rejected and every
    // later request on this connection waiting forever. If writing the answer itself throws, the
    // connection cannot keep its order promise, so it is closed.
    const run = (): Promise<void> =>
      this.dispatcher.dispatch(frame, this, (callback) => slot.afterWrite.push(callback)).then(
        (outcome) => this.complete(slot, outcome),
        (error: unknown) => {
          this.onError(this, error);
          this.complete(slot, CLOSE_CONNECTION);
        },
      ).catch((error: unknown) => {
        this.onError(this, error);
        this.destroy();
      });
    let task: Promise<void>;
    if (this.dispatcher.isExclusive(frame)) {
      const before = [...this.running];
      if (this.gate !== null) before.push(this.gate);
      task = Promise.allSettled(before).then(run);
      const gate = task.then(() => {
        if (this.gate === gate) this.gate = null;
      });
      this.gate = gate;
    } else if (this.gate !== null) {
      task = this.gate.then(run);
    } else {
      task = run();
    }
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  private complete(slot: Slot, outcome: FrameOutcome): void {
    slot.done = true;
    slot.outcome = outcome;
    this.flush();
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private flush(): void {
    let corked = false;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      this.inflightRequestBytes -= slot.frameBytes;
      const outcome = slot.outcome;
      if (this.closed || outcome === null || outcome === CLOSE_CONNECTION || outcome.length === 0) {
        settleWrite(slot);
      }
      if (this.closed) continue;
      if (outcome === CLOSE_CONNECTION) {
        if (corked) this.socket.uncork();
        corked = false;
        this.socket.end();
        this.destroyLater();
        this.closed = true;
        continue;
      }
      if (outcome === null || outcome.length === 0) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      // A destroyed socket still calls write callbacks (with an error), so the slot always settles.
      const last = outcome.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(outcome[i]!);
      this.socket.write(outcome[last]!, slot.afterWrite.length > 0 ? () => settleWrite(slot) : undefined);
    }
    if (corked) this.socket.uncork();
    this.updateFlow();
  }

  /** Pauses or resumes reading by the in-flight bounds. */
  private updateFlow(): void {
    if (this.closed || this.draining) return;
    const inflightBytes = this.inflightRequestBytes + this.socket.writableLength;
    const over = inflightBytes > this.limits.inflightBytesMax || this.slots.length >= this.limits.inflightRequestsMax;
    if (over && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!over && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Gives a half-closed peer a moment to read our last bytes, then releases the socket. */
  private destroyLater(): void {
    const timer = setTimeout(() => this.destroy(), 1000);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private markClosed(): void {
    this.closed = true;
    const callbacks = this.closedCallbacks.splice(0);
    for (const callback of callbacks) callback();
  }
}

function settleWrite(slot: Slot): void {
  const callbacks = slot.afterWrite.splice(0);
  for (const callback of callbacks) callback();
}
