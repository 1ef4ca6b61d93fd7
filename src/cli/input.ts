/**
 * Where `brook produce` reads from. Standard input is read straight from file descriptor 0 in
 * 1 MiB reads (a file or pipe), instead of through process.stdin's 64 KiB stream chunks: fewer,
 * larger chunks mean fewer producer calls, and no stream machinery per chunk. Any other Readable
 * (the demo's generated lines) is iterated as it is.
 *
 * A read that returns only a little (a pipe fed line by line, `tail -F`) is copied into a buffer
 * of its own size, so a slow pipe does not pin 1 MiB per line. An abort (Ctrl-C) ends the
 * iteration at once, even while a read is still waiting for input.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';

const READ_BYTES = 1024 * 1024;
const STDIN_FD = 0;

export function inputChunks(input: Readable, signal: AbortSignal): AsyncIterable<Buffer | string> {
  return input === process.stdin ? stdinChunks(signal) : untilAborted(input, signal);
}

async function* stdinChunks(signal: AbortSignal): AsyncGenerator<Buffer | string> {
  const aborted = abortPromise(signal);
  let buffer = Buffer.allocUnsafe(READ_BYTES);
  while (!signal.aborted) {
    let bytesRead: number | null;
    try {
      bytesRead = await Promise.race([readInto(buffer), aborted]);
    } catch (err) {
      // A non-blocking descriptor (an unusual parent) cannot be read this way: use the stream.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        yield* untilAborted(process.stdin, signal);
        return;
      }
      throw err;
    }
    if (bytesRead === null || bytesRead === 0) return;
    if (bytesRead < READ_BYTES / 2) {
      yield Buffer.from(buffer.subarray(0, bytesRead)); // a right-sized copy; the big buffer is reused
    } else {
      yield buffer.subarray(0, bytesRead);
      buffer = Buffer.allocUnsafe(READ_BYTES); // the yielded bytes now belong to the producer
    }
  }
}

function readInto(buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(STDIN_FD, buffer, 0, buffer.length, null, (err, bytesRead) => (err === null ? resolve(bytesRead) : reject(err)));
  });
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
