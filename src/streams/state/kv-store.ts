/**
 * A key-value state store (Kafka's timestamped KeyValueStore): the latest value and its timestamp
 * per key. Entries live in memory as objects while dirty or recently read (no serde on the hot
 * path), and in lmdb, serialized, after each commit (store.ts has the protocol).
 *
 * In lmdb: key = the key serde's bytes; value = [timestamp u64][value serde's bytes]. The same
 * pair is the changelog record, so restoring is copying.
 */
import { decodeStoredValue, encodeStoredValue, checkedKey } from './store-keys.js';
import { justAbove, type ChangeListener, type StateStore, type StoreContext, type StoreDef } from './store.js';
import type { LocalDb, WriteOp } from './local-store.js';
import type { BulkRecord } from '../../embedded/bulk-records.js';
import type { ValueAndTimestamp } from '../processors/api.js';

/** Changelog records carry no headers (one shared array, not one per record). */
const NO_HEADERS: readonly never[] = [];

interface Entry {
  key: unknown;
  bytes: Buffer | null;
  /** null: no value (deleted, or known absent). */
  value: unknown;
  timestamp: number;
  dirty: boolean;
  /** The value as of the last flush (what a cached forward reports as old). */
  flushedValue: unknown;
}

export interface KeyValueEntry {
  key: unknown;
  value: unknown;
  timestamp: number;
}

export class KeyValueStore implements StateStore {
  private readonly entries = new Map<string, Entry>();
  private dirty: Entry[] = [];
  private writes: WriteOp[] = [];
  private listener: ChangeListener | null = null;
  private readonly db: LocalDb;
  private commitRequested = false;
  /** Flushed entries whose lmdb write is not done: clean entries must stay in memory until it is. */
  private unwritten = false;
  private lastEntry: Entry | null = null;
  private readonly stringKeys: boolean;

  constructor(
    readonly def: StoreDef,
    private readonly context: StoreContext,
  ) {
    this.db = context.local.db(def.name);
    this.stringKeys = def.keySerde.name === 'String';
  }

  get name(): string {
    return this.def.name;
  }

  get(key: unknown): ValueAndTimestamp | null {
    const entry = this.entry(key);
    return entry.value === null ? null : { value: entry.value, timestamp: entry.timestamp };
  }

  /** A null value deletes the key. */
  put(key: unknown, value: unknown, timestamp: number): void {
    const entry = this.entry(key);
    entry.value = value ?? null;
    entry.timestamp = timestamp;
    if (!entry.dirty) {
      entry.dirty = true;
      this.dirty.push(entry);
      if (this.dirty.length >= this.context.bufferedEntriesMax && !this.commitRequested) {
        this.commitRequested = true;
        this.context.requestCommit();
      }
    }
  }

  delete(key: unknown): ValueAndTimestamp | null {
    const old = this.get(key);
    this.put(key, null, old?.timestamp ?? 0);
    return old;
  }

  /** Entries with from <= key <= to in key byte order (Kafka's range); either bound may be null. */
  range(from: unknown, to: unknown): KeyValueEntry[] {
    const fromBytes = from === null || from === undefined ? undefined : this.keyBytes(from);
    const toBytes = to === null || to === undefined ? undefined : this.keyBytes(to);
    const merged = new Map<string, KeyValueEntry & { bytes: Buffer }>();
    for (const { key, value } of this.db.getRange({ start: fromBytes, end: toBytes === undefined ? undefined : justAbove(toBytes) })) {
      const stored = decodeStoredValue(value);
      merged.set(key.toString('latin1'), { bytes: key, key: this.def.keySerde.deserialize(key), value: this.def.valueSerde.deserialize(stored.value), timestamp: stored.timestamp });
    }
    for (const entry of this.entries.values()) {
      const bytes = (entry.bytes ??= this.keyBytes(entry.key));
      if ((fromBytes !== undefined && Buffer.compare(bytes, fromBytes) < 0) || (toBytes !== undefined && Buffer.compare(bytes, toBytes) > 0)) continue;
      const id = bytes.toString('latin1');
      if (entry.value === null) merged.delete(id);
      else merged.set(id, { bytes, key: entry.key, value: entry.value, timestamp: entry.timestamp });
    }
    return [...merged.values()].sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map(({ key, value, timestamp }) => ({ key, value, timestamp }));
  }

  all(): KeyValueEntry[] {
    return this.range(null, null);
  }

  entryCount(): number {
    return this.db.getKeysCount();
  }

  setChangeListener(listener: ChangeListener): void {
    this.listener = listener;
  }

  flush(): void {
    const { changelogTopic } = this.context;
    const changelog: BulkRecord[] = [];
    for (const entry of this.dirty) {
      const keyBytes = (entry.bytes ??= this.keyBytes(entry.key));
      const stored = encodeStoredValue(entry.value === null ? null : this.def.valueSerde.serialize(entry.value), entry.timestamp);
      if (changelogTopic !== null) changelog.push({ key: keyBytes, value: stored, headers: NO_HEADERS, timestamp: entry.timestamp });
      this.writes.push({ db: this.db, key: keyBytes, value: stored });
      entry.dirty = false;
      const old = entry.flushedValue;
      entry.flushedValue = entry.value;
      if (this.listener !== null) this.listener(entry.key, entry.value, old, entry.timestamp);
    }
    if (changelog.length > 0) this.context.sendChangelog(changelog);
    this.dirty = [];
    this.commitRequested = false;
  }

  takeWrites(): WriteOp[] {
    const writes = this.writes;
    this.writes = [];
    if (writes.length > 0) this.unwritten = true;
    return writes;
  }

  committed(): void {
    this.unwritten = false;
    if (this.writes.length > 0) return; // flushed again meanwhile: those entries are not in lmdb yet
    // Every entry is clean and in lmdb now: drop the read cache once it passes its bound.
    if (this.entries.size > this.context.bufferedEntriesMax) this.evictClean();
  }

  restore(key: Buffer, value: Buffer | null): WriteOp[] {
    return [{ db: this.db, key, value }];
  }

  restored(): void {
    this.lastEntry = null;
    this.entries.clear();
  }

  expire(): WriteOp[] {
    return [];
  }

  /** Clean entries are in lmdb already (processing never runs between a flush and its write). */
  private evictClean(): void {
    if (this.unwritten || this.writes.length > 0) return; // clean entries not yet in lmdb must stay
    this.lastEntry = null;
    for (const [id, entry] of this.entries) if (!entry.dirty) this.entries.delete(id);
  }

  private keyBytes(key: unknown): Buffer {
    return checkedKey(this.def.keySerde.serialize(key) ?? Buffer.alloc(0));
  }

  private entry(key: unknown): Entry {
    const last = this.lastEntry;
    if (last !== null && last.key === key) return last; // a put right after its get
    const id = this.stringKeys && typeof key === 'string' ? key : this.keyBytes(key).toString('latin1');
    let entry = this.entries.get(id);
    if (entry === undefined) {
      // Evict only once there are many clean entries: a pass over the map per new entry would be quadratic.
      if (this.entries.size - this.dirty.length >= this.context.bufferedEntriesMax) this.evictClean();
      const keyBytes = this.keyBytes(key);
      const stored = this.db.get(keyBytes);
      let value: unknown = null;
      let timestamp = 0;
      if (stored !== undefined) {
        const decoded = decodeStoredValue(stored);
        value = this.def.valueSerde.deserialize(decoded.value);
        timestamp = decoded.timestamp;
      }
      entry = { key, bytes: keyBytes, value, timestamp, dirty: false, flushedValue: value };
      this.entries.set(id, entry);
    }
    this.lastEntry = entry;
    return entry;
  }
}
