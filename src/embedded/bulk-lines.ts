/**
 * The producer's bulk path: the lines of one text buffer become records encoded straight into
 * their partitions' open batches, reading keys and values as byte ranges of the text. Per line
 * there is no Buffer, no object and no promise; the only per-line work is finding the newline
 * (and the key separator), choosing the partition and copying the bytes.
 *
 *   text:  k1 SEP v1 \n v2 \r\n k3 SEP v3      (last line without '\n' is still a line;
 *          └key┘    └val─┘ └val─┘ └key┘    └val┘  a '\r' before '\n' is kept unless stripped)
 *
 * Main thread only, called by the Producer that owns the entry.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { partitionForKey } from '../protocol/partitioner.js';
import type { LinesTarget } from './bulk-acks.js';
import { KafkaError } from './kafka-error.js';
import type { ProducerBatches, TopicState } from './producer-batches.js';
import { RECORD_OVERHEAD_BYTES_MAX } from './record-input.js';
import { RECORDS_PER_BATCH_MAX } from '../common/limits.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** A sendLines() call waiting in the producer's queue; `pos` is where placing resumes. */
export interface QueuedLines {
  kind: 'lines';
  topic: string;
  text: Buffer;
  pos: number;
  timestampMs: number;
  keySeparator: Buffer | null;
  partition: number | undefined;
  stripCarriageReturn: boolean;
  target: LinesTarget;
}

/** Scratch for BatchBuilder.appendLines (one per process: placing never interleaves). */
const counts = { recordCount: 0, payloadBytes: 0, encodedBytes: 0 };

/**
 * Places lines from entry.pos on while the producer's memory bound allows. Returns true once the
 * whole text is placed, false if it stopped for room (entry.pos records where).
 */
export function placeLines(batches: ProducerBatches, bufferBytes: number, entry: QueuedLines, partitionCount: number): boolean {
  const { text, topic, target } = entry;
  const fixedPartition = entry.partition;
  if (fixedPartition !== undefined && !(Number.isInteger(fixedPartition) && fixedPartition >= 0 && fixedPartition < partitionCount)) {
    target.failUnplaced(countLines(text, entry.pos), new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `partition ${fixedPartition} is outside topic '${topic}' (${partitionCount} partitions)`));
    return true;
  }
  const state = batches.topicState(topic, partitionCount);
  entry.pos = entry.keySeparator === null
    ? placeKeylessLines(batches, bufferBytes, entry, state, partitionCount)
    : placeKeyedLines(batches, bufferBytes, entry, state, partitionCount);
  if (entry.pos < text.length) return false;
  target.finishPlacing();
  return true;
}

/**
 * Keyless lines all go to one partition (the fixed one, or the sticky one until its batch is
 * sealed), so whole runs of lines go into a batch at once (BatchBuilder.appendLines).
 */
function placeKeylessLines(batches: ProducerBatches, bufferBytes: number, entry: QueuedLines, state: TopicState, partitionCount: number): number {
  const { text, topic, target, timestampMs, stripCarriageReturn } = entry;
  const end = text.length;
  let pos = entry.pos;
  while (pos < end) {
    const roomBytes = bufferBytes - batches.bufferedBytes;
    if (batches.bufferedBytes > 0 && roomBytes <= 0) break;
    const partition = entry.partition ?? state.sticky % partitionCount;
    const queue = batches.partitionQueue(state, topic, partition);
    const poison = batches.poisonFor(queue, target.callIndex);
    if (poison !== null) {
      target.failOne(poison);
      pos = nextLine(text, pos);
      continue;
    }
    const batch = batches.openBatch(queue, RECORD_OVERHEAD_BYTES_MAX);
    const builder = batch.builder;
    const roomLimited = batches.bufferedBytes > 0 && builder.sizeBytes + roomBytes < queue.batchBytes;
    const sizeBytesMax = roomLimited ? builder.sizeBytes + roomBytes : queue.batchBytes;
    const firstLine = target.placedLineCount;
    pos = builder.appendLines(timestampMs, text, pos, end, sizeBytesMax, RECORDS_PER_BATCH_MAX, stripCarriageReturn, counts);
    target.placed(counts.recordCount); // before addRun, which may seal and dispatch the batch
    batches.addRun(queue, batch, target, counts.recordCount, counts.encodedBytes, counts.payloadBytes, firstLine);
    if (pos < end) {
      if (roomLimited) break;
      batches.seal(queue); // full: the next line opens a new batch (the sticky partition moves on)
    }
  }
  return pos;
}

/** key<separator>value lines: each line is hashed to its partition (murmur2, as Kafka's Java client). */
function placeKeyedLines(batches: ProducerBatches, bufferBytes: number, entry: QueuedLines, state: TopicState, partitionCount: number): number {
  const { text, topic, target, timestampMs, stripCarriageReturn } = entry;
  const keySeparator = entry.keySeparator!;
  const fixedPartition = entry.partition;
  const separatorBytes = keySeparator.length;
  const end = text.length;
  let pos = entry.pos;
  let separatorAt = -2; // next separator at or after pos; -1: none left; -2: not searched yet
  while (pos < end) {
    if (batches.bufferedBytes > 0 && batches.bufferedBytes >= bufferBytes) break;
    const newline = text.indexOf(NEWLINE, pos);
    const next = newline === -1 ? end : newline + 1;
    let lineEnd = newline === -1 ? end : newline;
    if (stripCarriageReturn && lineEnd > pos && text[lineEnd - 1] === CARRIAGE_RETURN) lineEnd--;
    let keyEnd = -1;
    let valueStart = pos;
    // One search serves every line up to the separator found, so lines without a separator
    // do not rescan the rest of the text each time.
    if (separatorAt !== -1 && separatorAt < pos) separatorAt = text.indexOf(keySeparator, pos);
    if (separatorAt !== -1 && separatorAt + separatorBytes <= lineEnd) {
      keyEnd = separatorAt;
      valueStart = separatorAt + separatorBytes;
    }
    const payloadBytes = lineEnd - pos - separatorBytes * (keyEnd === -1 ? 0 : 1);
    let partition: number;
    if (fixedPartition !== undefined) partition = fixedPartition;
    else if (partitionCount === 1) partition = 0;
    else if (keyEnd !== -1) partition = partitionForKey(text.subarray(pos, keyEnd), partitionCount);
    else partition = state.sticky % partitionCount;
    const queue = batches.partitionQueue(state, topic, partition);
    const poison = batches.poisonFor(queue, target.callIndex);
    if (poison !== null) {
      target.failOne(poison);
      pos = next;
      continue;
    }
    const batch = batches.openBatch(queue, payloadBytes + RECORD_OVERHEAD_BYTES_MAX);
    const recordBytes = keyEnd === -1
      ? batch.builder.appendRange(timestampMs, null, 0, 0, text, valueStart, lineEnd)
      : batch.builder.appendRange(timestampMs, text, pos, keyEnd, text, valueStart, lineEnd);
    const firstLine = target.placedLineCount;
    target.placed(1); // before addRun, which may seal and dispatch the batch
    batches.addRun(queue, batch, target, 1, recordBytes, payloadBytes, firstLine);
    pos = next;
  }
  return pos;
}

function nextLine(text: Buffer, pos: number): number {
  const newline = text.indexOf(NEWLINE, pos);
  return newline === -1 ? text.length : newline + 1;
}

/** Lines in text[pos..]: what a failure of the unplaced rest counts. */
export function countLines(text: Buffer, pos: number): number {
  let count = 0;
  while (pos < text.length) {
    const newline = text.indexOf(NEWLINE, pos);
    count++;
    if (newline === -1) break;
    pos = newline + 1;
  }
  return count;
}
