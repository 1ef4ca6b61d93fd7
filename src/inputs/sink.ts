/**
 * Where every input hands its records: routing (topic, key, partition; routing.ts) and the
 * embedded producer's bulk path, which gives each input the guarantees of a Kafka producer with
 * acks=all and idempotence (a retried batch is written once). One promise per `send()` call, not
 * per record, settles when each record is acknowledged or failed.
 *
 * Failures, by kind:
 * - the log refused a record for good (MESSAGE_TOO_LARGE, INVALID_TOPIC_EXCEPTION,
 *   TOPIC_AUTHORIZATION_FAILED, ...): counted in `failedCount`, logged, and the input goes on
 *   (one bad record never ends an input);
 * - the log could not take it (a retriable error outlasting delivery.timeout.ms, the broker
 *   closing): `fatal` in the outcome. Inputs that can replay (files, journald) stop there without
 *   moving their checkpoint; the others log it.
 *
 * Backpressure: `hasCapacity()`/`ready()` are the producer's memory bound (buffer.memory). TCP
 * and file inputs stop reading while it is full; HTTP answers 503; UDP counts what it drops.
 *
 * Main thread only; owned by one input (the producer may be shared by several sinks).
 */
import { KafkaError } from '../embedded/kafka-error.js';
import type { Producer } from '../embedded/producer.js';
import type { BulkRecord } from '../embedded/bulk-records.js';
import type { EncodedBatch } from '../embedded/bulk-encoded.js';
import type { TopicLimits } from '../embedded/topic-metadata.js';
import type { Fields, Routing } from './routing.js';
import type { InputStats } from './stats.js';

/** A record as an input made it: its fields (for routing) travel with it. */
export interface InputRecord extends BulkRecord {
  /** What routing reads; null when the input has none or routing needs none. */
  fields: Fields | null;
}

export interface SendOutcome {
  acknowledgedCount: number;
  /** Records refused for good (counted and logged; the input goes on). */
  failedCount: number;
  /** Set when records could not be written and may be retried later: replaying inputs stop. */
  fatal: Error | null;
}

const FAILURE_LOG_INTERVAL_MS = 10_000;

export class InputSink {
  private lastFailureLogMs = 0;
  private unloggedFailureCount = 0;

  constructor(
    readonly producer: Producer,
    readonly routing: Routing,
    readonly stats: InputStats,
    readonly log: (line: string) => void,
  ) {}

  hasCapacity(): boolean {
    return this.producer.hasCapacity();
  }

  ready(): Promise<void> {
    return this.producer.ready();
  }

  /** The fixed topic's partition count and largest batch, once a send (or topicLimits) looked them up. */
  limitsNow(): TopicLimits | undefined {
    return this.producer.limitsNow(this.routing.topic);
  }

  /**
   * The bulk path for runs of whole lines (tailed files): every line of `text` is a keyless record
   * of the fixed topic, with the producer's sendLines (routing must need no fields and not be
   * round robin). `text` must not change until the promise settles.
   */
  async sendLines(text: Buffer): Promise<SendOutcome> {
    try {
      // Log files written on Windows end lines with CRLF; as Filebeat does, the CR is not kept.
      return this.settle(await this.producer.sendLines(this.routing.topic, text, { stripCarriageReturn: true }));
    } catch (error) {
      return this.settle({ recordCount: 0, failedCount: 1, error: error as Error });
    }
  }

  /**
   * The path for records an input encoded itself into batches for the fixed topic (syslog over
   * TCP: batch-encoder.ts). The batches must not change until the promise settles.
   */
  async sendEncoded(batches: readonly EncodedBatch[]): Promise<SendOutcome> {
    if (batches.length === 0) return { acknowledgedCount: 0, failedCount: 0, fatal: null };
    const topic = this.routing.topic;
    const results = await Promise.all(batches.map((batch) => this.producer.sendEncoded(topic, batch).catch((error: Error) =>
      ({ recordCount: 0, failedCount: batch.recordCount, error }))));
    return this.settle(sumResults(results));
  }

  /** Routes and sends; the records must not change until the promise settles. */
  async send(records: InputRecord[]): Promise<SendOutcome> {
    if (records.length === 0) return { acknowledgedCount: 0, failedCount: 0, fatal: null };
    const { routing } = this;
    if (routing.keyField !== null) {
      // Without fields the input set the key itself (or there is none: keyFor(null) is null).
      for (const record of records) if (record.fields !== null) record.key = routing.keyFor(record.fields);
    }
    const byTopic = new Map<string, InputRecord[]>();
    if (!routing.isTemplate) {
      byTopic.set(routing.topic, records);
    } else {
      for (const record of records) {
        const topic = routing.topicFor(record.fields);
        let list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, (list = []));
        list.push(record);
      }
    }
    const options = { roundRobin: routing.roundRobin };
    const results = await Promise.all([...byTopic].map(([topic, list]) => this.producer.sendRecords(topic, list, options).catch((error: Error) =>
      ({ recordCount: 0, byteCount: 0, failedCount: list.length, error }))));
    return this.settle(sumResults(results));
  }

  private settle(result: { recordCount: number; failedCount: number; error: Error | null }): SendOutcome {
    this.stats.counts.acknowledgedCount += result.recordCount;
    if (result.error === null) return { acknowledgedCount: result.recordCount, failedCount: 0, fatal: null };
    const error = result.error;
    if (!(error instanceof KafkaError) || error.retriable) {
      this.log(`${this.stats.name}: ${result.failedCount} records not written: ${error.message}`);
      return { acknowledgedCount: result.recordCount, failedCount: 0, fatal: error };
    }
    this.stats.counts.failedCount += result.failedCount;
    this.logRefusal(result.failedCount, error);
    return { acknowledgedCount: result.recordCount, failedCount: result.failedCount, fatal: null };
  }

  /** At most one line per interval, so a stream of refused records does not flood the log. */
  private logRefusal(recordCount: number, error: Error): void {
    this.unloggedFailureCount += recordCount;
    const nowMs = Date.now();
    if (nowMs - this.lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogMs = nowMs;
    this.log(`${this.stats.name}: the log refused ${this.unloggedFailureCount} records (${error.message})`);
    this.unloggedFailureCount = 0;
  }
}

function sumResults(results: ReadonlyArray<{ recordCount: number; failedCount: number; error: Error | null }>): { recordCount: number; failedCount: number; error: Error | null } {
  const total = { recordCount: 0, failedCount: 0, error: null as Error | null };
  for (const result of results) {
    total.recordCount += result.recordCount;
    total.failedCount += result.failedCount;
    total.error ??= result.error;
  }
  return total;
}
