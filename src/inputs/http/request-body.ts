/**
 * Reads an ingest request's body whole, within a limit (the topic's max.message.bytes): a body
 * that says or turns out to be larger is refused with 413 MESSAGE_TOO_LARGE before anything is
 * written. `Content-Encoding: gzip` (what OTLP exporters send) is inflated with the same limit on
 * the inflated size. The whole body is read before a record is made, so a bad body changes nothing.
 */
import type http from 'node:http';
import zlib from 'node:zlib';
import { HttpIngestError } from './ingest-errors.js';

/**
 * A body past the limit is still read, and dropped, up to this many bytes before the 413 is
 * answered: a client that is still sending (curl sends a body over 1 MiB after 100-continue)
 * would otherwise get a reset connection instead of the answer. Past it the connection is closed.
 */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

export async function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    await readChunks(req, DISCARD_MAX_BYTES, null);
    throw tooLarge(declared, limitBytes);
  }
  const chunks: Buffer[] = [];
  const total = await readChunks(req, limitBytes, chunks);
  if (total > limitBytes) {
    await readChunks(req, DISCARD_MAX_BYTES - total, null);
    throw tooLarge(total, limitBytes);
  }
  const body = Buffer.concat(chunks, total);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new HttpIngestError(415, 'UNSUPPORTED_COMPRESSION_TYPE', `Content-Encoding '${encoding}' is not supported (gzip is)`);
  try {
    return zlib.gunzipSync(body, { maxOutputLength: limitBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limitBytes + 1, limitBytes);
    throw new HttpIngestError(400, 'CORRUPT_MESSAGE', `the gzip body does not inflate: ${(error as Error).message}`);
  }
}

/**
 * Reads the body until its end or until more than `maxBytes` came (then it stops reading, leaving
 * the rest unread); keeps the chunks when `chunks` is given. Resolves with the bytes read. Event
 * listeners rather than `for await`, which would destroy the socket (and the answer) on an early stop.
 */
function readChunks(req: http.IncomingMessage, maxBytes: number, chunks: Buffer[] | null): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    if (req.complete || maxBytes <= 0) return resolve(total);
    const finish = (error: Error | null): void => {
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      req.pause();
      if (error === null) resolve(total);
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (chunks !== null && total <= maxBytes) chunks.push(chunk);
      if (total > maxBytes) finish(null);
    };
    const onEnd = (): void => finish(null);
    const onClose = (): void => finish(req.complete ? null : new HttpIngestError(400, 'INVALID_REQUEST', 'the connection closed before the body ended'));
    req.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
    req.resume();
  });
}

function tooLarge(bytes: number, limitBytes: number): HttpIngestError {
  return new HttpIngestError(413, 'MESSAGE_TOO_LARGE', `the body (${bytes} bytes or more) exceeds max.message.bytes ${limitBytes}`);
}
