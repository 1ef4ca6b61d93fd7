/**
 * Records and bytes in and out per partition (Kafka's BytesInPerSec / MessagesInPerSec /
 * BytesOutPerSec, as counters): the Broker counts every successful produce and every fetch result
 * here, on the main thread where they pass, so /metrics, the console and `brook top` read them
 * without touching a partition. Main thread only; owned by the Broker.
 *
 * Cost per produce or fetch result: one Map lookup and a walk over the batch headers (one int32
 * read per batch, never per record): the record count comes from each batch's recordsCount field.
 *
 *   RecordBatch v2 header bytes read here:
 *     8   int32  batchLength (bytes after this field)
 *     21  int16  attributes   (bit 5: control batch, not counted as records)
 *     57  int32  recordsCount
 */

const BATCH_LENGTH_OFFSET = 8;
const ATTRIBUTES_OFFSET = 21;
const RECORDS_COUNT_OFFSET = 57;
const BATCH_HEADER_BYTES = 61;
const LOG_OVERHEAD_BYTES = 12;
const ATTR_CONTROL = 0x20;

/** Counter slots per partition in TopicTraffic.counters. */
const RECORDS_IN = 0;
const BYTES_IN = 1;
const RECORDS_OUT = 2;
const BYTES_OUT = 3;
const SLOTS = 4;

export interface PartitionTraffic {
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

interface TopicTraffic {
  /** SLOTS counters per partition, partition p at p * SLOTS; grows when partitions are added. */
  counters: Float64Array;
  /** The same four counters summed over the topic's partitions. */
  totals: Float64Array;
}

/** Records in whole v2 batches of `records` (a fetch may end with a partial batch: not counted). */
export function countRecords(records: Buffer): number {
  let count = 0;
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= records.length) {
    const sizeBytes = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || pos + sizeBytes > records.length) break;
    if ((records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_CONTROL) === 0) count += records.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    pos += sizeBytes;
  }
  return count;
}

export class TrafficCounters {
  private readonly byTopic = new Map<string, TopicTraffic>();

  /** A produce to `topic`-`partition` was appended (call only on success; `countRecords` gives the count). */
  produced(topic: string, partition: number, recordCount: number, byteCount: number): void {
    this.add(topic, partition, RECORDS_IN, recordCount, byteCount);
  }

  /** Fetch results about to be returned: what each carries goes out. */
  fetched(results: readonly { topic: string; partition: number; records: Buffer | null }[]): void {
    for (const result of results) {
      const records = result.records;
      if (records === null || records.length === 0) continue;
      this.add(result.topic, result.partition, RECORDS_OUT, countRecords(records), records.length);
    }
  }

  private add(topic: string, partition: number, recordsSlot: number, recordCount: number, byteCount: number): void {
    let traffic = this.byTopic.get(topic);
    if (traffic === undefined) {
      traffic = { counters: new Float64Array(SLOTS * (partition + 1)), totals: new Float64Array(SLOTS) };
      this.byTopic.set(topic, traffic);
    } else if (traffic.counters.length < SLOTS * (partition + 1)) {
      const grown = new Float64Array(SLOTS * (partition + 1));
      grown.set(traffic.counters);
      traffic.counters = grown;
    }
    const base = SLOTS * partition;
    traffic.counters[base + recordsSlot] += recordCount;
    traffic.counters[base + recordsSlot + 1] += byteCount;
    traffic.totals[recordsSlot] += recordCount;
    traffic.totals[recordsSlot + 1] += byteCount;
  }

  /** Counters of one partition since the broker started (zeros when nothing passed yet). */
  partition(topic: string, partition: number): PartitionTraffic {
    const counters = this.byTopic.get(topic)?.counters;
    const base = SLOTS * partition;
    if (counters === undefined || base >= counters.length) return { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 };
    return { recordsIn: counters[base + RECORDS_IN]!, bytesIn: counters[base + BYTES_IN]!, recordsOut: counters[base + RECORDS_OUT]!, bytesOut: counters[base + BYTES_OUT]! };
  }

  /** The topic's counters summed over its partitions. */
  topic(topic: string): PartitionTraffic {
    const totals = this.byTopic.get(topic)?.totals;
    if (totals === undefined) return { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 };
    return { recordsIn: totals[RECORDS_IN]!, bytesIn: totals[BYTES_IN]!, recordsOut: totals[RECORDS_OUT]!, bytesOut: totals[BYTES_OUT]! };
  }

  /** A deleted topic's counters go (a topic created again under its name starts from zero). */
  forget(topic: string): void {
    this.byTopic.delete(topic);
  }
}
