/**
 * The store under window stores, session stores and join buffers: values addressed by
 * (key, time, suffix), kept until their time falls behind stream time by the retention period.
 * In lmdb they live in time segments (segments.ts, Kafka's segmented stores): expiry drops whole
 * segments. Layouts are in store-keys.ts.
 *
 * In memory, entries are grouped per key (a Map of maps), so "every window of key K between two
 * times" never scans other keys; each lmdb segment answers it with one ordered range.
 */
import { checkedKey, decodePrimaryKey, decodeStoredValue, encodePrimaryKey, encodeStoredValue, primaryKeyFloor, TIME_MAX } from './store-keys.js';
import { LIVE_SEGMENTS_SOFT_MAX, Segments } from './segments.js';
import { type ChangeListener, type StateStore, type StoreContext, type StoreDef } from './store.js';
import type { LocalDb, WriteOp } from './local-store.js';
import type { BulkRecord } from '../../embedded/bulk-records.js';

/** Changelog records carry no headers (one shared array, not one per record). */
const NO_HEADERS: readonly never[] = [];

export interface TimeKeyedEntry {
  key: unknown;
  time: number;
  suffix: number;
  value: unknown;
  timestamp: number;
}

interface Entry extends TimeKeyedEntry {
  keyBytes: Buffer;
  dirty: boolean;
  flushedValue: unknown;
}

const META_SEQUENCE = Buffer.from('sequence');

/** A window without duplicates is found by its time alone (a number key: no string per lookup). */
function slotOf(time: number, suffix: number): number | string {
  return suffix === 0 ? time : `${time}/${suffix}`;
}

function snapshot(entry: TimeKeyedEntry): TimeKeyedEntry {
  return { key: entry.key, time: entry.time, suffix: entry.suffix, value: entry.value, timestamp: entry.timestamp };
}

export class TimeKeyedStore implements StateStore {
  private readonly byKey = new Map<string, Map<number | string, Entry>>();
  private entryTotal = 0;
  private dirty: Entry[] = [];
  private writes: WriteOp[] = [];
  private listener: ChangeListener | null = null;
  private readonly segments: Segments;
  private readonly meta: LocalDb;
  /** Next suffix for stores that keep duplicates. */
  private sequence: number;
  private restoredSequenceMax = -1;
  private commitRequested = false;
  /** Flushed entries whose lmdb write is not done: clean entries must stay in memory until it is. */
  private unwritten = false;
  private lastEntry: Entry | null = null;
  private readonly stringKeys: boolean;
  /** Segments the dirty entries fall in (a commit is asked for when there are many). */
  private readonly dirtySegments = new Set<number>();

  constructor(
    readonly def: StoreDef,
    private readonly context: StoreContext,
  ) {
    this.meta = context.local.db(`${def.name}.meta`);
    this.segments = new Segments(context.local, def.name, this.meta, def.retentionMs ?? TIME_MAX);
    this.stringKeys = def.keySerde.name === 'String';
    const stored = this.meta.get(META_SEQUENCE);
    this.sequence = stored === undefined ? 0 : Number(stored.readBigUInt64BE(0));
  }

  /** A snapshot: later puts do not change what it holds. */
  get(key: unknown, time: number, suffix = 0): TimeKeyedEntry | null {
    const entry = this.entry(key, time, suffix, true)!;
    return entry.value === null ? null : snapshot(entry);
  }

  /**
   * The live entry, not a copy, or null: for a processor that reads it and then puts at once (an
   * aggregation: one snapshot object less per record). Its fields change with the next put.
   */
  current(key: unknown, time: number, suffix = 0): Readonly<TimeKeyedEntry> | null {
    const entry = this.entry(key, time, suffix, true)!;
    return entry.value === null ? null : entry;
  }

  put(key: unknown, time: number, value: unknown, timestamp: number, suffix = 0): void {
    const entry = this.entry(key, time, suffix, true)!;
    entry.value = value ?? null;
    entry.timestamp = timestamp;
    this.markDirty(entry);
  }

  /** A new entry with the next sequence number as suffix (stores that keep duplicates); returns the suffix. */
  append(key: unknown, time: number, value: unknown, timestamp: number): number {
    const suffix = this.sequence++;
    const entry = this.entry(key, time, suffix, false)!;
    entry.value = value;
    entry.timestamp = timestamp;
    this.markDirty(entry);
    return suffix;
  }

  /** Entries of `key` with timeFrom <= time <= timeTo, by time then suffix. */
  fetch(key: unknown, timeFrom: number, timeTo: number): TimeKeyedEntry[] {
    const id = this.idOf(key);
    const keyBytes = this.keyBytes(key);
    const found = new Map<string, TimeKeyedEntry>();
    const from = Math.max(0, timeFrom);
    const to = Math.min(timeTo, TIME_MAX);
    if (to >= from) {
      for (const segment of this.segments.overlapping(from, to)) {
        for (const { key: stored, value } of segment.getRange({ start: primaryKeyFloor(keyBytes, from), end: primaryKeyFloor(keyBytes, to + 1) })) {
          const parts = decodePrimaryKey(stored);
          const decoded = decodeStoredValue(value);
          found.set(`${parts.time}/${parts.suffix}`, { key, time: parts.time, suffix: parts.suffix, value: this.def.valueSerde.deserialize(decoded.value), timestamp: decoded.timestamp });
        }
      }
    }
    for (const entry of this.byKey.get(id)?.values() ?? []) {
      if (entry.time < timeFrom || entry.time > timeTo) continue;
      const slot = `${entry.time}/${entry.suffix}`;
      if (entry.value === null) found.delete(slot);
      else found.set(slot, snapshot(entry));
    }
    return [...found.values()].sort((a, b) => a.time - b.time || a.suffix - b.suffix);
  }

  /** Entries of every key with timeFrom <= time <= timeTo, by time (each overlapping segment scanned). */
  fetchAll(timeFrom: number, timeTo: number): TimeKeyedEntry[] {
    const found = new Map<string, TimeKeyedEntry & { id: string }>();
    const from = Math.max(0, timeFrom);
    const to = Math.min(timeTo, TIME_MAX);
    if (to >= from) {
      for (const segment of this.segments.overlapping(from, to)) {
        for (const { key: stored, value } of segment.getRange({})) {
          const parts = decodePrimaryKey(stored);
          if (parts.time < from || parts.time > to) continue;
          const decoded = decodeStoredValue(value);
          const id = parts.key.toString('latin1');
          found.set(`${id}\u0000${parts.time}/${parts.suffix}`, {
            id, key: this.def.keySerde.deserialize(Buffer.from(parts.key)), time: parts.time, suffix: parts.suffix,
            value: this.def.valueSerde.deserialize(decoded.value), timestamp: decoded.timestamp,
          });
        }
      }
    }
    for (const entries of this.byKey.values()) {
      for (const entry of entries.values()) {
        if (entry.time < timeFrom || entry.time > timeTo) continue;
        const slot = `${entry.keyBytes.toString('latin1')}\u0000${entry.time}/${entry.suffix}`;
        if (entry.value === null) found.delete(slot);
        else found.set(slot, { ...snapshot(entry), id: entry.keyBytes.toString('latin1') });
      }
    }
    return [...found.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || a.suffix - b.suffix)
      .map(({ key, time, suffix, value, timestamp }) => ({ key, time, suffix, value, timestamp }));
  }

  remove(key: unknown, time: number, suffix = 0): void {
    this.put(key, time, null, 0, suffix);
  }

  entryCount(): number {
    return this.segments.overlapping(0, TIME_MAX).reduce((sum, segment) => sum + segment.getKeysCount(), 0);
  }

  setChangeListener(listener: ChangeListener): void {
    this.listener = listener;
  }

  flush(): void {
    const { changelogTopic } = this.context;
    const changelog: BulkRecord[] = [];
    for (const entry of this.dirty) {
      const primaryKey = encodePrimaryKey(entry.keyBytes, entry.time, entry.suffix);
      const stored = encodeStoredValue(entry.value === null ? null : this.def.valueSerde.serialize(entry.value), entry.timestamp);
      if (changelogTopic !== null) changelog.push({ key: primaryKey, value: stored, headers: NO_HEADERS, timestamp: entry.timestamp });
      this.writes.push({ db: this.segments.forWrite(entry.time), key: primaryKey, value: stored });
      entry.dirty = false;
      const old = entry.flushedValue;
      entry.flushedValue = entry.value;
      if (this.listener !== null) this.listener(entry, entry.value, old, entry.timestamp);
    }
    if (this.def.retainDuplicates && this.dirty.length > 0) {
      const sequence = Buffer.allocUnsafe(8);
      sequence.writeBigUInt64BE(BigInt(this.sequence));
      this.writes.push({ db: this.meta, key: META_SEQUENCE, value: sequence });
    }
    const meta = this.segments.metaWrite();
    if (meta !== null) this.writes.push(meta);
    this.dirtySegments.clear();
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
    if (this.entryTotal > this.context.bufferedEntriesMax) this.evictClean();
  }

  restore(key: Buffer, value: Buffer | null): WriteOp[] {
    const parts = decodePrimaryKey(key);
    if (parts.suffix > this.restoredSequenceMax) this.restoredSequenceMax = parts.suffix;
    const ops: WriteOp[] = [{ db: this.segments.forWrite(parts.time), key, value }];
    const meta = this.segments.metaWrite();
    if (meta !== null) ops.push(meta);
    return ops;
  }

  restored(): void {
    this.lastEntry = null;
    this.byKey.clear();
    this.entryTotal = 0;
    if (this.def.retainDuplicates) this.sequence = Math.max(this.sequence, this.restoredSequenceMax + 1);
  }

  /** Drops (from lmdb and memory, not the changelog: its retention.ms does that) segments past retention. */
  expire(streamTime: number): WriteOp[] {
    const cutoff = streamTime - (this.def.retentionMs ?? Infinity);
    if (!(cutoff > 0)) return [];
    this.lastEntry = null;
    for (const [id, entries] of this.byKey) {
      for (const [slot, entry] of entries) {
        if (entry.time < cutoff && !entry.dirty) {
          entries.delete(slot);
          this.entryTotal--;
        }
      }
      if (entries.size === 0) this.byKey.delete(id);
    }
    return this.segments.expire(cutoff);
  }

  private markDirty(entry: Entry): void {
    if (entry.dirty) return;
    entry.dirty = true;
    this.dirty.push(entry);
    this.dirtySegments.add(this.segments.idOf(entry.time));
    const manySegments = this.dirtySegments.size + this.segments.liveCount > LIVE_SEGMENTS_SOFT_MAX;
    if ((this.dirty.length >= this.context.bufferedEntriesMax || manySegments) && !this.commitRequested) {
      this.commitRequested = true;
      this.context.requestCommit();
    }
  }

  private evictClean(): void {
    if (this.unwritten || this.writes.length > 0) return; // clean entries not yet in lmdb must stay
    this.lastEntry = null;
    for (const [id, entries] of this.byKey) {
      for (const [slot, entry] of entries) {
        if (!entry.dirty) {
          entries.delete(slot);
          this.entryTotal--;
        }
      }
      if (entries.size === 0) this.byKey.delete(id);
    }
  }

  private keyBytes(key: unknown): Buffer {
    return checkedKey(this.def.keySerde.serialize(key) ?? Buffer.alloc(0));
  }

  /** The in-memory id of a key: the string itself for String keys, else its bytes as latin1. */
  private idOf(key: unknown): string {
    if (this.stringKeys && typeof key === 'string') return key;
    return this.keyBytes(key).toString('latin1');
  }

  /** The entry for (key, time, suffix), read from lmdb on first use when `load`. */
  private entry(key: unknown, time: number, suffix: number, load: boolean): Entry {
    // A put right after a get of the same window (every aggregation) skips the lookups.
    const last = this.lastEntry;
    if (last !== null && last.key === key && last.time === time && last.suffix === suffix) return last;
    const id = this.idOf(key);
    let entries = this.byKey.get(id);
    if (entries === undefined) {
      entries = new Map();
      this.byKey.set(id, entries);
    }
    const slot = slotOf(time, suffix);
    let entry = entries.get(slot);
    if (entry === undefined) {
      // Evict only once there are many clean entries: a pass over the map per new entry would be quadratic.
      if (this.entryTotal - this.dirty.length >= this.context.bufferedEntriesMax) this.evictClean();
      const keyBytes = this.keyBytes(key);
      let value: unknown = null;
      let timestamp = 0;
      const stored = load ? this.segments.forRead(time)?.get(encodePrimaryKey(keyBytes, time, suffix)) : undefined;
      if (stored !== undefined) {
        const decoded = decodeStoredValue(stored);
        value = this.def.valueSerde.deserialize(decoded.value);
        timestamp = decoded.timestamp;
      }
      entry = { key, keyBytes, time, suffix, value, timestamp, dirty: false, flushedValue: value };
      if (!this.byKey.has(id)) this.byKey.set(id, entries);
      entries.set(slot, entry);
      this.entryTotal++;
    }
    this.lastEntry = entry;
    return entry;
  }
}
