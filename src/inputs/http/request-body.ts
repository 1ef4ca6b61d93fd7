/**
 * Reads an ingest request's body whole, within a limit (the topic's max.message.bytes): a body
 * that says or turns out to be larger is refused with 413 MESSAGE_TOO_LARGE before anything is
 * written. `Content-Encoding: gzip` (what OTLP exporters send) is inflated with the same limit on
 * the inflated size. The whole body is read before a record is made, so a bad body changes nothing.
 */
import type http from 'node:http';
import zlib from 'node:zlib';
import { HttpIngestError } from './ingest-errors.js';

export async function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(declared, limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limitBytes) throw tooLarge(total, limitBytes);
    chunks.push(chunk);
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

function tooLarge(bytes: number, limitBytes: number): HttpIngestError {
  return new HttpIngestError(413, 'MESSAGE_TOO_LARGE', `the body (${bytes} bytes or more) exceeds max.message.bytes ${limitBytes}`);
}
