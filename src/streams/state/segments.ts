/**
 * Time segments of a window or session store (Kafka's segmented stores): entries live in one lmdb
 * database per segmentInterval of time, so expiring old windows is dropping whole databases, and
 * a write is one put (no time index to keep). Kafka's default interval: max(retention / 2, 60 s).
 *
 * The live segment ids are kept in the store's meta database ("segments", a JSON array), written
 * with the store's other writes, so a reopened store finds its segments. A store asks its task for
 * an early commit (which expires old segments) when it holds many segments, which bounds the
 * databases per task while a topology catches up on a long stretch of event time.
 */
import type { LocalDb, LocalStore, WriteOp } from './local-store.js';

const META_SEGMENTS = Buffer.from('segments');
const SEGMENT_INTERVAL_MIN_MS = 60_000;
/** Past this many live segments the store asks for an early commit (expiry drops the old ones). */
export const LIVE_SEGMENTS_SOFT_MAX = 16;

export class Segments {
  readonly intervalMs: number;
  private readonly live: Set<number>;
  private readonly opened = new Map<number, LocalDb>();
  private metaDirty = false;

  constructor(
    private readonly local: LocalStore,
    private readonly storeName: string,
    private readonly meta: LocalDb,
    retentionMs: number,
  ) {
    this.intervalMs = Math.max(SEGMENT_INTERVAL_MIN_MS, Math.floor(retentionMs / 2));
    const stored = meta.get(META_SEGMENTS);
    this.live = new Set(stored === undefined ? [] : (JSON.parse(stored.toString('utf8')) as number[]));
  }

  get liveCount(): number {
    return this.live.size;
  }

  idOf(time: number): number {
    return Math.floor(time / this.intervalMs);
  }

  /** The segment holding `time`, if it exists (reads never create one). */
  forRead(time: number): LocalDb | undefined {
    const id = this.idOf(time);
    return this.live.has(id) ? this.db(id) : undefined;
  }

  /** The segment holding `time`, created if needed. */
  forWrite(time: number): LocalDb {
    const id = this.idOf(time);
    if (!this.live.has(id)) {
      this.live.add(id);
      this.metaDirty = true;
    }
    return this.db(id);
  }

  /** Live segments that may hold times in [from, to], oldest first. */
  overlapping(from: number, to: number): LocalDb[] {
    const first = this.idOf(Math.max(0, from));
    const last = this.idOf(Math.max(0, to));
    return [...this.live].filter((id) => id >= first && id <= last).sort((a, b) => a - b).map((id) => this.db(id));
  }

  /** The meta write that records the live segments, if they changed. */
  metaWrite(): WriteOp | null {
    if (!this.metaDirty) return null;
    this.metaDirty = false;
    return { db: this.meta, key: META_SEGMENTS, value: Buffer.from(JSON.stringify([...this.live].sort((a, b) => a - b))) };
  }

  /** Drops every segment wholly older than `cutoff` (as write operations). */
  expire(cutoff: number): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const id of [...this.live]) {
      if ((id + 1) * this.intervalMs > cutoff) continue;
      this.live.delete(id);
      this.metaDirty = true;
      ops.push({ db: this.db(id), key: META_SEGMENTS, value: null, drop: this.name(id) });
      this.opened.delete(id);
    }
    const meta = this.metaWrite();
    if (meta !== null) ops.push(meta);
    return ops;
  }

  private name(id: number): string {
    return `${this.storeName}.${id}`;
  }

  private db(id: number): LocalDb {
    let db = this.opened.get(id);
    if (db === undefined) {
      db = this.local.db(this.name(id));
      this.opened.set(id, db);
    }
    return db;
  }
}
