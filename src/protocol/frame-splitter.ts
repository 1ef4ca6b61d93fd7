/**
 * Cuts a TCP byte stream into Kafka frames (requests on the server, responses in the client).
 * Owned by one connection (the server's Connection, the client's BrokerConnection); not
 * thread-safe.
 *
 * Kafka framing (every request, every version):
 *
 *   +-------------------+---------------------------------------------------------+
 *   | size: int32 (N)   | N bytes: request header (apiKey, apiVersion, ...), body |
 *   +-------------------+---------------------------------------------------------+
 *
 * The size is checked against socket.request.max.bytes the moment its 4 bytes arrive, so a huge or
 * negative claim is refused before anything is allocated. Bytes are never pre-allocated for a
 * claimed length: chunks are kept as received and joined only once the whole frame is here, so
 * memory follows what the peer actually sent. A frame inside one socket chunk is a view, not a copy.
 */

export const FRAME_SIZE_PREFIX_BYTES = 4;

/** The peer sent a size prefix Kafka refuses; the connection must be closed. */
export class FrameSizeError extends Error {
  override name = 'FrameSizeError';
  constructor(readonly sizeBytes: number) {
    super(`request frame size ${sizeBytes} outside [0, socket.request.max.bytes]`);
  }
}

export class FrameSplitter {
  private readonly chunks: Buffer[] = [];
  private bufferedByteCount = 0;
  /** Size of the frame being assembled, or -1 while waiting for its prefix. */
  private expectedFrameBytes = -1;

  constructor(private readonly frameBytesMax: number) {}

  get bufferedBytes(): number {
    return this.bufferedByteCount;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedByteCount += chunk.length;
  }

  /** The next complete frame (without its size prefix), or undefined. Throws FrameSizeError. */
  next(): Buffer | undefined {
    if (this.expectedFrameBytes < 0) {
      if (this.bufferedByteCount < FRAME_SIZE_PREFIX_BYTES) return undefined;
      const size = this.take(FRAME_SIZE_PREFIX_BYTES).readInt32BE(0);
      if (size < 0 || size > this.frameBytesMax) throw new FrameSizeError(size);
      this.expectedFrameBytes = size;
    }
    if (this.bufferedByteCount < this.expectedFrameBytes) return undefined;
    const frame = this.take(this.expectedFrameBytes);
    this.expectedFrameBytes = -1;
    return frame;
  }

  /** Removes `byteCount` buffered bytes (the caller checked they are there). */
  private take(byteCount: number): Buffer {
    this.bufferedByteCount -= byteCount;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= byteCount) {
      if (first.length === byteCount) this.chunks.shift();
      else this.chunks[0] = first.subarray(byteCount);
      return first.subarray(0, byteCount);
    }
    const out = Buffer.allocUnsafe(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      const chunk = this.chunks[0]!;
      const wanted = byteCount - filled;
      if (chunk.length <= wanted) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
        filled += wanted;
      }
    }
    return out;
  }
}
