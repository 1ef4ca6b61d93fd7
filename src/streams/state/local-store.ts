/**
 * A task's on-disk state: one lmdb environment in the task's directory with one named database
 * per state store (and one per time index). lmdb was chosen by measurement
 * (bench/macro/streams-store.ts, docs/streams.md): reads are synchronous and take microseconds, so
 * a stream thread reads a key without leaving the record loop; a store of a million keys opens in
 * milliseconds; range scans are ordered.
 *
 * Writes happen only at commit, in one asynchronous transaction per task (lmdb-js commits it on
 * its own thread); `durable()` waits until that transaction is on disk (lmdb's overlapping sync),
 * which the checkpoint file waits for.
 *
 * Owned by one task on one stream thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { StateStoreError } from '../errors.js';

/**
 * Named databases per task: one per key-value store, a meta database and a few time segments per
 * window or session store (segments.ts bounds them), with room to spare.
 */
const DATABASES_MAX = 1024;

export type LocalDb = Database<Buffer, Buffer>;

export interface WriteOp {
  db: LocalDb;
  key: Buffer;
  /** null deletes. */
  value: Buffer | null;
  /** Drops the whole named database instead (an expired time segment), after the transaction. */
  drop?: string;
}

export class LocalStore {
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly dbs = new Map<string, LocalDb>();
  private closed = false;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    try {
      this.root = open<Buffer, Buffer>({ path: dir, maxDbs: DATABASES_MAX, encoding: 'binary', keyEncoding: 'binary', compression: false });
    } catch (err) {
      throw new StateStoreError(`cannot open the state store in ${dir}: ${(err as Error).message}`, err);
    }
  }

  db(name: string): LocalDb {
    let db = this.dbs.get(name);
    if (db === undefined) {
      db = this.root.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary', compression: false });
      this.dbs.set(name, db);
    }
    return db;
  }

  /**
   * Applies the operations in one transaction; resolves once it is committed (visible). They are
   * written in key order: lmdb's B-tree then touches each page once (measured: random order costs
   * several times more). Operations on one key keep their relative order (the sort is stable).
   */
  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const drops = ops.filter((op) => op.drop !== undefined);
    const writes = drops.length === 0 ? ops : ops.filter((op) => op.drop === undefined);
    writes.sort((a, b) => Buffer.compare(a.key, b.key));
    try {
      if (writes.length > 0) {
        await this.root.transaction(() => {
          for (const op of writes) {
            if (op.value === null) op.db.remove(op.key);
            else op.db.put(op.key, op.value);
          }
        });
      }
      for (const op of drops) {
        await op.db.drop();
        this.dbs.delete(op.drop!);
      }
    } catch (err) {
      throw new StateStoreError(`writing ${ops.length} entries to the state store in ${this.dir} failed: ${(err as Error).message}`, err);
    }
  }

  /** Empties every database of the task (state no checkpoint vouches for). */
  async clear(): Promise<void> {
    for (const db of this.dbs.values()) await db.clearAsync();
  }

  /** Resolves when every committed transaction is on disk. */
  async durable(): Promise<void> {
    await this.root.flushed;
  }

  /** Bytes of the store's files. */
  sizeBytes(): number {
    let total = 0;
    for (const name of ['data.mdb']) {
      try {
        total += fs.statSync(path.join(this.dir, name)).size;
      } catch {
        // not created yet
      }
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  /** Closes and deletes the task's state (a store no checkpoint vouches for). */
  async wipe(): Promise<void> {
    await this.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
