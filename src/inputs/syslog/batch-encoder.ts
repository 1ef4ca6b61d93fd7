/**
 * The syslog input's hot path over TCP: the messages of one read become RecordBatch v2 bodies,
 * one per partition, each record written once and in place, for the producer's sendEncoded()
 * (embedded/bulk-encoded.ts).
 *
 *   slab: [ header room | records, in arrival order ........ | free | copy of the read ]
 *
 * The read is copied once to the end of its slab, so that each record's parts (timestamp,
 * header fields, message) move with copyWithin, a memmove inside one buffer: a copy between two
 * buffers costs a view object (~200 ns), more than the JSON of a short line.
 *
 * Every record is encoded for its partition's batch (offset delta = its index there, timestamp
 * delta from that batch's first record), so when a read spans several partitions their records
 * are only gathered, never re-encoded. A slab ends, and a new one takes the rest of the read,
 * when it is full, or holds as many bytes or records as the topic's largest batch.
 *
 * What it writes is what SyslogRecords and the sink would make of the same messages (key,
 * value, timestamp, headers, partition); messages the byte paths (RFC 5424, RFC 3164) decline take
 * the general path (records.ts), one by one. Main thread or a listener's thread; one encoder per
 * connection.
 */
import { RECORDS_PER_BATCH_MAX } from '../../common/limits.js';
import type { EncodedBatch } from '../../embedded/bulk-encoded.js';
import type { TopicLimits } from '../../embedded/topic-metadata.js';
import { partitionForKey } from '../../protocol/partitioner.js';
import { BATCH_HEADER_BYTES, type RecordHeader } from '../../protocol/record-batch.js';
import { writeZigzagVarint, writeZigzagVarlong, zigzagVarintBytes, zigzagVarlongBytes } from '../../protocol/varint.js';
import type { Routing } from '../routing.js';
import type { InputStats } from '../stats.js';
import { generalRecord, JSON_OVERHEAD_BYTES_MAX, receivedHeaders, type SyslogFormat } from './records.js';
import { copyBytes } from './byte-words.js';
import { measureRfc3164, Rfc3164Scan, writeRfc3164 } from './rfc3164-bytes.js';
import { rawValueBytes, Rfc5424JsonWriter, Rfc5424Scan } from './rfc5424-bytes.js';

/** Room for a record's framing: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_FRAMING_BYTES_MAX = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** Headers the inputs add (truncated, parse error) stay well within this. */
const HEADERS_BYTES_MAX = 512;
/** Messages up to this long take the byte path (it reserves 7 times their length first). */
const BYTE_PATH_MESSAGE_BYTES_MAX = 16 * 1024;
/** A slab's record room is at least this, so short reads do not each pay a fresh allocation's minimum. */
const SLAB_RECORD_BYTES_MIN = 16 * 1024;
/** A slab has room for about this many reads (within the topic's largest batch): see begin(). */
const READS_PER_SLAB = 4;

/**
 * A batch as the encoder hands it over: `slab` is the pooled slab its buffer is a view of (null
 * when the buffer is its own); give it back to the pool once the batch is acknowledged. Every
 * buffer owns its ArrayBuffer whole, so it can be transferred to another thread.
 */
export interface SlabBatch extends EncodedBatch {
  slab: Buffer | null;
}

/** One partition's records in the current slab. */
interface PartitionRun {
  partition: number;
  recordCount: number;
  baseTimestampMs: number;
  maxTimestampMs: number;
  payloadBytes: number;
  encodedBytes: number;
}

/** Slabs of this size are pooled: room for about a 1 MiB batch (Kafka's default largest) and a read. */
export const SLAB_BYTES = BATCH_HEADER_BYTES + 1024 * 1024 + 192 * 1024;
/** Spare slabs an input keeps, whatever its number of connections. */
const SLAB_POOL_MAX = 8;
const EMPTY = Buffer.alloc(0);

/**
 * Spare slabs, shared by the encoders of one input: a fresh 1 MiB buffer per batch makes V8
 * collect garbage for its external memory every few dozen milliseconds at full speed.
 */
export class SlabPool {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
  }

  /** Spare slabs kept now. */
  get spareCount(): number {
    return this.spare.length;
  }

  give(slab: Buffer): void {
    if (slab.length === SLAB_BYTES && this.spare.length < SLAB_POOL_MAX) this.spare.push(slab);
  }
}

export class SyslogBatchEncoder {
  private readonly scan = new Rfc5424Scan();
  private readonly writer = new Rfc5424JsonWriter();
  private readonly bsd = new Rfc3164Scan();
  private readonly keyByHostname: boolean;
  private limits: TopicLimits = { partitionCount: 1, batchBytesMax: Infinity };
  /** The read being encoded (frames in it are read from its copy in the slab). */
  private chunk: Buffer | null = null;
  private slab: Buffer = EMPTY;
  /** Where chunk offset 0 would be in the slab (the copy holds the chunk from where the slab began). */
  private stagingAt = 0;
  /** The first slab byte of the read's copy: records must end before it. */
  private stagedFrom = 0;
  private pos = 0;
  private recordCount = 0;
  private readonly runs: PartitionRun[] = [];
  private readonly runByPartition = new Map<number, PartitionRun>();
  /** The run the last record went to: the next one most often goes there too. */
  private lastRun: PartitionRun | null = null;
  /** Per record of the slab, with several partitions: where it ends and its run (to gather them). */
  private recordEnds: Int32Array = new Int32Array(0); // grown when a slab first holds two partitions
  private recordRuns: PartitionRun[] = [];
  private finished: SlabBatch[] = [];
  /** Records bytes per read byte in the last slab: sizes the next one. */
  private expansion = 3;
  private stickyNext = 0;
  private sticky = 0;
  private roundRobinNext = 0;
  private lastKeyPartition = 0;
  /** The scan's scannedCount when lastKeyPartition was found (valid for the next message only). */
  private lastKeyScanned = -1;

  constructor(
    private readonly format: SyslogFormat,
    private readonly stats: InputStats,
    private readonly routing: Routing,
    private readonly pool = new SlabPool(),
  ) {
    this.keyByHostname = routing.keyField === 'hostname';
  }

  /**
   * Starts a read: `chunk` is copied into the slab; its frames follow through add(). Records of
   * earlier reads not taken yet stay in the open slab when it has room (the caller takes them
   * while its previous batches are still being written, so batches grow with the load).
   */
  begin(chunk: Buffer, limits: TopicLimits): void {
    this.chunk = chunk;
    this.scan.forget(); // the last read's copy is overwritten
    const sameLimits = limits.partitionCount === this.limits.partitionCount && limits.batchBytesMax === this.limits.batchBytesMax;
    if (this.recordCount > 0 && sameLimits && this.slab.length - chunk.length - this.pos >= this.roomFor(chunk.length)) {
      this.stagedFrom = this.slab.length - chunk.length;
      this.stagingAt = this.stagedFrom;
      this.slab.set(chunk, this.stagedFrom);
      return;
    }
    this.finishSlab();
    this.limits = limits;
    this.openSlab(0, 0);
  }

  /** True when records wait to be taken. */
  get holdsRecords(): boolean {
    return this.recordCount > 0 || this.finished.length > 0;
  }

  /** True when a slab filled up: its batches should go now rather than wait for the next take. */
  get holdsFullBatches(): boolean {
    return this.finished.length > 0;
  }

  /** One message, source[start, end) (see FrameSink); `originalBytes` > end - start when truncated. */
  add(source: Buffer, start: number, end: number, originalBytes: number, nowMs: number): void {
    const headers = receivedHeaders(this.stats, end - start, originalBytes);
    const { scan } = this;
    // A long message takes the general path, which sizes its record exactly: the byte path's
    // worst case (every byte escaped) would reserve 7 times its length.
    if (end - start <= BYTE_PATH_MESSAGE_BYTES_MAX) {
      // Room for the worst case first, so that what measure() finds holds for the slab written to.
      const boundBytes = RECORD_FRAMING_BYTES_MAX + HEADERS_BYTES_MAX + JSON_OVERHEAD_BYTES_MAX + 7 * (end - start);
      this.ensureRoom(boundBytes, source === this.chunk ? start : -1);
      let bytes = source;
      let from = start;
      let to = end;
      if (source === this.chunk) {
        bytes = this.slab;
        from += this.stagingAt;
        to += this.stagingAt;
      }
      if (scan.scan(bytes, from, to)) {
        const valueBytes = this.format === 'raw' ? rawValueBytes(bytes, from, to, scan.messageStart) : this.writer.measure(bytes, to, scan, this.slab);
        if (valueBytes >= 0) return this.addScanned(bytes, from, to, valueBytes, headers, nowMs, null);
      } else if (this.bsd.scan(bytes, from, to, nowMs)) {
        const { bsd } = this;
        const valueBytes = this.format === 'raw' ? rawValueBytes(bytes, from, to, bsd.messageStart) : measureRfc3164(bytes, to, bsd);
        if (valueBytes >= 0) return this.addScanned(bytes, from, to, valueBytes, headers, nowMs, bsd);
      }
    }
    const { record, text } = generalRecord(source.subarray(start, end), headers, nowMs, this.format, this.stats);
    const key = record.fields === null ? null : this.routing.keyFor(record.fields);
    const value = record.value;
    const keyBytes = key === null ? -1 : key.length;
    // A JSON value is written into the slab straight from its string (no buffer of its own).
    const valueBytes = text !== null ? Buffer.byteLength(text, 'utf8') : value === null ? -1 : value.length;
    this.ensureRoom(RECORD_FRAMING_BYTES_MAX + Math.max(keyBytes, 0) + Math.max(valueBytes, 0) + headersBytes(record.headers), -1);
    let partition: number;
    if (this.routing.roundRobin) partition = this.roundRobinPartition();
    else if (key === null) partition = this.keylessPartition();
    else partition = partitionForKey(key, this.limits.partitionCount);
    const run = this.runFor(partition);
    let pos = this.recordStart(run, record.timestamp, keyBytes, valueBytes, record.headers);
    if (key !== null) pos = copyBytes(key, 0, key.length, this.slab, pos);
    pos = writeZigzagVarint(this.slab, pos, valueBytes);
    if (text !== null) pos += this.slab.write(text, pos, 'utf8');
    else if (value !== null) pos = copyBytes(value, 0, value.length, this.slab, pos);
    this.recordEnd(run, pos, record.headers, Math.max(keyBytes, 0) + Math.max(valueBytes, 0));
  }

  /** The batches of the reads so far, one per partition (per slab, when they took more than one). */
  take(): SlabBatch[] {
    this.finishSlab();
    this.chunk = null;
    const batches = this.finished;
    this.finished = [];
    return batches;
  }

  /** A message one of the byte paths took: RFC 5424 (`bsd` null, this.scan holds it) or RFC 3164 (`bsd`). */
  private addScanned(bytes: Buffer, from: number, to: number, valueBytes: number, headers: readonly RecordHeader[], nowMs: number,
    bsd: Rfc3164Scan | null): void {
    const { scan, slab } = this;
    const keyStart = !this.keyByHostname ? -1 : bsd === null ? scan.starts[1]! : bsd.hostStart;
    const keyEnd = bsd === null ? scan.ends[1]! : bsd.hostEnd;
    let partition: number;
    if (this.routing.roundRobin) partition = this.roundRobinPartition();
    else if (keyStart === -1) partition = this.keylessPartition();
    else if (this.limits.partitionCount === 1) partition = 0;
    else if (bsd === null && scan.headerRepeated && this.lastKeyScanned === scan.scannedCount - 1) partition = this.lastKeyPartition; // same HOSTNAME
    else partition = this.lastKeyPartition = partitionForKey(bytes.subarray(keyStart, keyEnd), this.limits.partitionCount);
    this.lastKeyScanned = bsd === null ? scan.scannedCount : -1;
    const keyBytes = keyStart === -1 ? -1 : keyEnd - keyStart;
    const run = this.runFor(partition);
    let pos = this.recordStart(run, (bsd === null ? scan.timestampMs : bsd.timestampMs) ?? nowMs, keyBytes, valueBytes, headers);
    if (keyStart !== -1) pos = copyBytes(bytes, keyStart, keyEnd, slab, pos);
    pos = writeZigzagVarint(slab, pos, valueBytes);
    if (this.format === 'raw') pos = copyBytes(bytes, from, to, slab, pos);
    else pos = bsd === null ? this.writer.write(bytes, to, scan, slab, pos) : writeRfc3164(bytes, to, bsd, slab, pos);
    this.recordEnd(run, pos, headers, Math.max(keyBytes, 0) + valueBytes);
  }

  /**
   * Writes a record's framing up to its key (the caller writes the key, the value length and
   * the value, then calls recordEnd). The record's size is known from the lengths given.
   */
  private recordStart(run: PartitionRun, timestampMs: number, keyBytes: number, valueBytes: number, headers: readonly RecordHeader[]): number {
    const offsetDelta = run.recordCount;
    if (offsetDelta === 0) {
      run.baseTimestampMs = timestampMs;
      run.maxTimestampMs = timestampMs;
    } else if (timestampMs > run.maxTimestampMs) {
      run.maxTimestampMs = timestampMs;
    }
    const timestampDelta = timestampMs - run.baseTimestampMs;
    const bodyBytes = 1 + zigzagVarlongBytes(timestampDelta) + zigzagVarintBytes(offsetDelta) +
      zigzagVarintBytes(keyBytes) + Math.max(keyBytes, 0) + zigzagVarintBytes(valueBytes) + Math.max(valueBytes, 0) + headersBytes(headers);
    const { slab } = this;
    let pos = writeZigzagVarint(slab, this.pos, bodyBytes);
    slab[pos++] = 0; // record attributes: unused
    pos = writeZigzagVarlong(slab, pos, timestampDelta);
    pos = writeZigzagVarint(slab, pos, offsetDelta);
    return writeZigzagVarint(slab, pos, keyBytes);
  }

  /** Writes the headers after the value at `pos` and counts the record in its run. */
  private recordEnd(run: PartitionRun, pos: number, headers: readonly RecordHeader[], payloadBytes: number): void {
    const { slab } = this;
    pos = writeZigzagVarint(slab, pos, headers.length);
    // Indexed, not for-of: the iterator is not optimized away on this per-record path.
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i]!;
      const key = Buffer.from(header.key, 'utf8');
      pos = writeZigzagVarint(slab, pos, key.length);
      pos = copyBytes(key, 0, key.length, slab, pos);
      pos = writeZigzagVarint(slab, pos, header.value === null ? -1 : header.value.length);
      if (header.value !== null) pos = copyBytes(header.value, 0, header.value.length, slab, pos);
    }
    run.recordCount++;
    run.payloadBytes += payloadBytes;
    run.encodedBytes += pos - this.pos;
    if (this.runs.length > 1 || this.recordRuns.length > 0) this.noteRecord(run, pos);
    this.pos = pos;
    this.recordCount++;
  }

  /** Remembers each record's end and run once the slab holds more than one partition. */
  private noteRecord(run: PartitionRun, end: number): void {
    if (this.recordRuns.length === 0) {
      // The records so far all belong to the first run: note them now.
      const first = this.runs[0]!;
      this.recordRuns = new Array<PartitionRun>(this.recordCount).fill(first);
      this.recordEnds = growTo(this.recordEnds, this.recordCount + 1);
      for (let i = 0, at = BATCH_HEADER_BYTES; i < this.recordCount; i++) this.recordEnds[i] = at = recordEndAt(this.slab, at);
    }
    this.recordEnds = growTo(this.recordEnds, this.recordCount + 1);
    this.recordEnds[this.recordCount] = end;
    this.recordRuns.push(run);
  }

  private runFor(partition: number): PartitionRun {
    const last = this.lastRun;
    if (last !== null && last.partition === partition) return last;
    let run = this.runByPartition.get(partition);
    if (run === undefined) {
      run = { partition, recordCount: 0, baseTimestampMs: 0, maxTimestampMs: 0, payloadBytes: 0, encodedBytes: 0 };
      this.runByPartition.set(partition, run);
      this.runs.push(run);
    }
    return (this.lastRun = run);
  }

  /** Keyless records stick to one partition per slab (Kafka's sticky partitioner, in turn). */
  private keylessPartition(): number {
    return this.sticky % this.limits.partitionCount;
  }

  private roundRobinPartition(): number {
    return this.roundRobinNext++ % this.limits.partitionCount;
  }

  /**
   * Starts a new slab if this one cannot take `bytes` more or is at the topic's batch limits;
   * `chunkOffset` is where the current frame starts in the read (-1: not in it), from where the
   * new slab copies the read.
   */
  private ensureRoom(bytes: number, chunkOffset: number): void {
    const recordsBytes = this.pos - BATCH_HEADER_BYTES;
    const full = this.pos + bytes > this.stagedFrom ||
      (recordsBytes > 0 && BATCH_HEADER_BYTES + recordsBytes + bytes > this.limits.batchBytesMax) ||
      this.recordCount >= RECORDS_PER_BATCH_MAX;
    if (!full) return;
    this.finishSlab();
    this.openSlab(bytes, chunkOffset === -1 ? this.stagedOffset() : chunkOffset);
  }

  /** The chunk offset the current slab's copy starts at. */
  private stagedOffset(): number {
    return this.stagedFrom - this.stagingAt;
  }

  /** A slab for the records of chunk[chunkOffset..] (at least `bytes` of room), with that part copied in. */
  private openSlab(bytes: number, chunkOffset: number): void {
    const chunk = this.chunk!;
    const stagedBytes = chunk.length - chunkOffset;
    const roomBytes = Math.max(bytes, Math.min(this.limits.batchBytesMax, READS_PER_SLAB * this.roomFor(stagedBytes)));
    const slabBytes = BATCH_HEADER_BYTES + roomBytes + stagedBytes;
    this.slab = slabBytes <= SLAB_BYTES ? this.pool.take() : Buffer.allocUnsafeSlow(slabBytes);
    this.stagedFrom = this.slab.length - stagedBytes;
    this.stagingAt = this.stagedFrom - chunkOffset;
    this.slab.set(chunkOffset === 0 ? chunk : chunk.subarray(chunkOffset), this.stagedFrom);
    this.pos = BATCH_HEADER_BYTES;
    this.recordCount = 0;
    this.sticky = this.stickyNext++;
    this.scan.forget(); // a pooled slab was someone's before
    this.writer.forget();
  }

  private giveBack(slab: Buffer): void {
    if (slab.length === SLAB_BYTES) this.pool.give(slab);
  }

  /** Record room the encoding of `readBytes` should need, going by the last slab. */
  private roomFor(readBytes: number): number {
    return Math.max(SLAB_RECORD_BYTES_MIN, Math.ceil(readBytes * this.expansion * 1.25));
  }

  /** Hands the slab's records over as batches, one per partition. */
  private finishSlab(): void {
    const { runs, slab } = this;
    if (this.recordCount > 0) {
      const readBytes = slab.length - this.stagedFrom;
      if (readBytes > 0) this.expansion = Math.max(1, (this.pos - BATCH_HEADER_BYTES) / readBytes);
    }
    if (runs.length === 1 && this.pos * 2 >= slab.length) {
      // The common case under load: the slab is the batch (its copy of the read and free room
      // are not sent); the listener gives the slab back to the pool once the batch is acknowledged.
      this.finished.push(batchOf(runs[0]!, slab.subarray(0, this.pos), slab.length, slab.length === SLAB_BYTES ? slab : null));
    } else if (runs.length === 1) {
      // Mostly unused (a quiet connection): a copy holds less while it waits.
      const buffer = Buffer.allocUnsafeSlow(this.pos);
      slab.copy(buffer, 0, 0, this.pos);
      this.finished.push(batchOf(runs[0]!, buffer, buffer.length, null));
      this.giveBack(slab);
    } else if (runs.length > 1) {
      // Several partitions: each run's records gathered into a batch of its own, in one pass.
      const gathered = new Map<PartitionRun, { buffer: Buffer; at: number }>();
      for (const run of runs) gathered.set(run, { buffer: Buffer.allocUnsafeSlow(BATCH_HEADER_BYTES + run.encodedBytes), at: BATCH_HEADER_BYTES });
      for (let i = 0, start = BATCH_HEADER_BYTES; i < this.recordCount; i++) {
        const end = this.recordEnds[i]!;
        const into = gathered.get(this.recordRuns[i]!)!;
        into.at = copyBytes(slab, start, end, into.buffer, into.at);
        start = end;
      }
      for (const [run, { buffer }] of gathered) this.finished.push(batchOf(run, buffer, buffer.length, null));
      this.giveBack(slab);
    } else {
      this.giveBack(slab);
    }
    this.slab = EMPTY;
    runs.length = 0;
    this.runByPartition.clear();
    this.lastRun = null;
    this.recordRuns = [];
    this.recordCount = 0;
    this.pos = BATCH_HEADER_BYTES;
  }
}

function batchOf(run: PartitionRun, buffer: Buffer, heldBytes: number, slab: Buffer | null): SlabBatch {
  return {
    partition: run.partition, buffer, recordCount: run.recordCount, baseTimestampMs: run.baseTimestampMs,
    maxTimestampMs: run.maxTimestampMs, payloadBytes: run.payloadBytes, heldBytes, slab,
  };
}

function headersBytes(headers: readonly RecordHeader[]): number {
  if (headers.length === 0) return 1;
  let bytes = zigzagVarintBytes(headers.length);
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8');
    const valueBytes = header.value === null ? -1 : header.value.length;
    bytes += zigzagVarintBytes(keyBytes) + keyBytes + zigzagVarintBytes(valueBytes) + Math.max(valueBytes, 0);
  }
  return bytes;
}

/** The end of the record starting at `at`: its length varint says how long it is. */
function recordEndAt(slab: Buffer, at: number): number {
  let zigzag = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const b = slab[pos++]!;
    zigzag += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return pos + zigzag / 2; // lengths are never negative: zigzag is twice the length
}

function growTo(array: Int32Array, length: number): Int32Array {
  if (array.length >= length) return array;
  const grown = new Int32Array(Math.max(length, 2 * array.length));
  grown.set(array);
  return grown;
}
