/**
 * What every state store shares with its task: the commit protocol and restoration.
 *
 *   processing ── put/get ──▶ in-memory entries (dirty since the last commit, or clean reads)
 *   commit:  flush()      ── dirty entries ──▶ changelog records (record collector) + cached forwards
 *            takeWrites() ── the same entries as lmdb operations, written by the task once the
 *                            changelog records are acknowledged (so the local store never holds
 *                            what the changelog does not)
 *            committed()  ── after the lmdb transaction: trims the in-memory entries
 *   restore: restore(key, value) per changelog record, in changelog order
 *
 * Stores belong to one task on one stream thread; not thread-safe.
 */
import type { BulkRecord } from '../../embedded/bulk-records.js';
import type { Serde } from '../serdes.js';
import type { LocalStore, WriteOp } from './local-store.js';

export type StoreKind = 'keyValue' | 'window' | 'session';

/** A store as the topology declares it. */
export interface StoreDef {
  name: string;
  kind: StoreKind;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  /** Backed by a changelog topic (Kafka's logging enabled). Default true. */
  logging: boolean;
  /** Forward changes at commit, latest per key, instead of on every update (Kafka's caching). */
  caching: boolean;
  /** Window and session stores: how long entries are kept, by their time. */
  retentionMs?: number;
  /** Time windows: the window size, so a fetched window knows its end. */
  windowSizeMs?: number;
  /** Join buffers keep every record of a key and time (Kafka's retainDuplicates). */
  retainDuplicates?: boolean;
  /** Internal stores (join buffers) do not answer interactive queries. */
  queryable: boolean;
  /** Extra configs of the changelog topic (windowed stores: retention.ms). */
  changelogConfigs?: Record<string, string>;
}

export type ChangeListener = (key: unknown, newValue: unknown, oldValue: unknown, timestamp: number) => void;

export interface StoreContext {
  local: LocalStore;
  /** null without logging. */
  changelogTopic: string | null;
  partition: number;
  /** One flush's changelog records, sent in bulk (one call, no object per record on the way). */
  sendChangelog(records: BulkRecord[]): void;
  /** In-memory entries past which the store asks its task for an early commit. */
  bufferedEntriesMax: number;
  requestCommit(): void;
}

export interface StateStore {
  readonly def: StoreDef;
  flush(): void;
  takeWrites(): WriteOp[];
  committed(): void;
  /** Applies one changelog record to the local store (returned as lmdb operations). */
  restore(key: Buffer, value: Buffer | null): WriteOp[];
  /** Called once restoration is over (e.g. to set sequence numbers past the restored ones). */
  restored(): void;
  /** Drops entries past retention (window and session stores), as lmdb operations. */
  expire(streamTime: number): WriteOp[];
  /** For caching: called on flush with each changed key. */
  setChangeListener(listener: ChangeListener): void;
  entryCount(): number;
}

/** Inclusive upper bound for lmdb's exclusive range end: the smallest key above `key`. */
export function justAbove(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}
