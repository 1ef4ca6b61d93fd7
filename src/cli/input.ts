/**
 * Where `brook produce` reads from. Standard input ('stdin') is read straight from file
 * descriptor 0 into large buffers, not through process.stdin's stream of 64 KiB chunks, each a
 * new Buffer: fewer, larger chunks mean fewer producer calls, and no garbage per chunk.
 *
 *   a regular file   fs.read, up to 1 MiB per read (a read of a file never waits for a writer)
 *   a pipe, socket   a net.Socket on fd 0 whose reads land in our buffer (onread), one at a time
 *   a terminal       process.stdin (interactive: speed does not matter)
 *
 * fs.read is not used on a pipe: a read blocked in libuv's thread pool cannot be interrupted, and
 * at exit Node waits for it, so a Ctrl-C'd `tail -F | brook produce` would never end.
 *
 * Reads fill one buffer on, each yielded as a view (no copies), until it is full; then the next
 * buffer is a new one, unless nothing yielded from it was kept (`reusable`). An abort (Ctrl-C)
 * ends the iteration at once, even while a read is still waiting for input. Any other Readable
 * (the demo's lines) is iterated as it is.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import tty from 'node:tty';

const READ_BYTES = 1024 * 1024;
/** A read gets at least this much room (a pipe gives up to 64 KiB at a time). */
const READ_BYTES_MIN = 64 * 1024;
const STDIN_FD = 0;

/**
 * `reusable()`, asked when the next chunk is wanted, says whether the consumer kept no reference
 * to the last one (it dropped a long line's bytes), so the buffer can be read into again instead
 * of a new one: a 300 MB line skipped does not leave 300 MB of garbage.
 */
export function inputChunks(input: Readable | 'stdin', signal: AbortSignal, reusable: () => boolean = () => false): AsyncIterable<Buffer | string> {
  if (input !== 'stdin') return untilAborted(input, signal);
  if (tty.isatty(STDIN_FD)) return untilAborted(process.stdin, signal);
  return fs.fstatSync(STDIN_FD).isFIFO() || fs.fstatSync(STDIN_FD).isSocket() ? pipeChunks(signal, reusable) : fileChunks(signal, reusable);
}

/** The buffer reads fill, and whether a yielded view of it is still held by the consumer. */
class FillBuffer {
  buffer = Buffer.allocUnsafe(READ_BYTES);
  filled = 0;
  private pinned = false;

  constructor(private readonly reusable: () => boolean) {}

  /** Room for the next read: the rest of this buffer, or a fresh (or freed) one. */
  room(): Buffer {
    if (READ_BYTES - this.filled < READ_BYTES_MIN) {
      if (this.pinned) this.buffer = Buffer.allocUnsafe(READ_BYTES);
      this.filled = 0;
      this.pinned = false;
    }
    return this.buffer.subarray(this.filled);
  }

  /** `bytes` were read into room(): the view to yield. */
  take(bytes: number): Buffer {
    const view = this.buffer.subarray(this.filled, this.filled + bytes);
    this.filled += bytes;
    return view;
  }

  /** The consumer asks for more: did it keep what it got? */
  consumed(): void {
    if (!this.reusable()) this.pinned = true;
  }
}

async function* fileChunks(signal: AbortSignal, reusable: () => boolean): AsyncGenerator<Buffer> {
  const aborted = abortPromise(signal);
  const fill = new FillBuffer(reusable);
  while (!signal.aborted) {
    const room = fill.room();
    const bytesRead = await Promise.race([readInto(room), aborted]);
    if (bytesRead === null || bytesRead === 0) return;
    yield fill.take(bytesRead);
    fill.consumed();
  }
}

function readInto(room: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(STDIN_FD, room, 0, room.length, null, (err, bytesRead) => (err === null ? resolve(bytesRead) : reject(err)));
  });
}

/** One read at a time: the socket pauses after each, until the consumer wants the next. */
async function* pipeChunks(signal: AbortSignal, reusable: () => boolean): AsyncGenerator<Buffer> {
  const fill = new FillBuffer(reusable);
  let arrived: Buffer | null = null;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  // Node takes onread in the Socket constructor too (its types list it for connect() only).
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = {
    fd: STDIN_FD, readable: true, writable: false,
    onread: {
      buffer: () => fill.room(),
      callback: (bytes: number) => {
        arrived = fill.take(bytes);
        notify();
        return false; // pause until this chunk is taken
      },
    },
  };
  const socket = new net.Socket(options);
  socket.on('end', () => ((ended = true), notify()));
  socket.on('error', (err) => ((failure = err), notify()));
  signal.addEventListener('abort', notify, { once: true });
  try {
    for (;;) {
      while (arrived === null && !ended && failure === null && !signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== null) throw failure;
      if (arrived === null || signal.aborted) return;
      const chunk: Buffer = arrived;
      arrived = null;
      yield chunk;
      fill.consumed();
      socket.resume();
    }
  } finally {
    signal.removeEventListener('abort', notify);
    socket.destroy();
  }
}

async function* untilAborted(input: Readable, signal: AbortSignal): AsyncGenerator<Buffer | string> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const aborted = abortPromise(signal);
  try {
    while (!signal.aborted) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === null || next.done === true) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.();
  }
}

function abortPromise(signal: AbortSignal): Promise<null> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener('abort', () => resolve(null), { once: true });
  });
}
