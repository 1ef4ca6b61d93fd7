/**
 * The payload of a produce frame in a partition worker's ring (ring.ts frames carry it):
 *
 *   0   int32   slot       the partition's number on its worker (PartitionSpec.slot)
 *   4   int32   (reserved, 0)
 *   8   ...     batches    the produce's record batches, end to end, exactly as received
 *
 * The frame's own id (the ring's frameId) is the produce's sequence number on the worker, which
 * the completion frame echoes. The batches start 8 bytes in, so the worker hands fs.write a view
 * of the ring without a copy (DESIGN.md rule 2).
 */
export const PRODUCE_FRAME_HEADER_BYTES = 8;

export function writeProduceFrameHeader(view: Uint8Array, slot: number): void {
  const words = new DataView(view.buffer, view.byteOffset, PRODUCE_FRAME_HEADER_BYTES);
  words.setInt32(0, slot, true);
  words.setInt32(4, 0, true);
}

export function produceFrameSlot(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, PRODUCE_FRAME_HEADER_BYTES).getInt32(0, true);
}

export function produceFrameBatches(payload: Uint8Array): Uint8Array {
  return payload.subarray(PRODUCE_FRAME_HEADER_BYTES);
}
