/**
 * The interactive-query view of one store across this process's tasks (Kafka's
 * ReadOnlyKeyValueStore / ReadOnlyWindowStore / ReadOnlySessionStore, asynchronous here because
 * tasks may run on worker threads). Answers cover the tasks this process runs; the other
 * processes of the application answer for theirs (`brook streams query` asks them all).
 */
import type { StoreDef } from '../state/store.js';
import { StateStoreError } from '../errors.js';
import type { QueryEntry, StoreQuery } from '../runtime/thread-query.js';

export class ReadOnlyStore {
  constructor(
    readonly def: StoreDef,
    private readonly run: (query: StoreQuery) => Promise<QueryEntry[]>,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get kind(): StoreDef['kind'] {
    return this.def.kind;
  }

  /** Key-value stores: the key's value, or undefined. */
  async get(key: unknown): Promise<unknown> {
    this.expect('keyValue', 'get');
    const [entry] = await this.run({ op: 'get', store: this.name, key });
    return entry?.value;
  }

  /** Key-value stores: entries with from <= key <= to in key byte order (null: unbounded). */
  range(from: unknown, to: unknown): Promise<QueryEntry[]> {
    this.expect('keyValue', 'range');
    return this.sorted(this.run({ op: 'range', store: this.name, from, to }));
  }

  /** Every entry (window and session stores: every window). */
  all(): Promise<QueryEntry[]> {
    return this.sorted(this.run({ op: 'all', store: this.name }));
  }

  /** Window stores: the key's windows starting in [timeFrom, timeTo]; session stores: its sessions overlapping it. */
  fetch(key: unknown, timeFrom = 0, timeTo = Number.MAX_SAFE_INTEGER - 1): Promise<QueryEntry[]> {
    if (this.kind === 'keyValue') throw new StateStoreError(`'${this.name}' is a key-value store: use get or range`);
    return this.run({ op: 'fetch', store: this.name, key, timeFrom, timeTo });
  }

  /** Window and session stores: every key's windows in the time range, by time. */
  async fetchAll(timeFrom: number, timeTo: number): Promise<QueryEntry[]> {
    if (this.kind === 'keyValue') throw new StateStoreError(`'${this.name}' is a key-value store: use range or all`);
    const entries = await this.run({ op: 'fetchAll', store: this.name, timeFrom, timeTo });
    return entries.sort((a, b) => a.window!.start - b.window!.start);
  }

  private expect(kind: StoreDef['kind'], op: string): void {
    if (this.kind !== kind) throw new StateStoreError(`'${this.name}' is a ${this.kind} store; ${op} is for key-value stores (use fetch or fetchAll)`);
  }

  /** Several tasks answered: order by serialized key, then window start, as one store would. */
  private async sorted(answer: Promise<QueryEntry[]>): Promise<QueryEntry[]> {
    const entries = await answer;
    const keyBytes = (key: unknown) => this.def.keySerde.serialize(key instanceof Uint8Array ? Buffer.from(key) : key) ?? Buffer.alloc(0);
    const decorated = entries.map((e) => ({ e, k: keyBytes(e.key) }));
    decorated.sort((a, b) => Buffer.compare(a.k, b.k) || (a.e.window?.start ?? 0) - (b.e.window?.start ?? 0));
    return decorated.map((d) => d.e);
  }
}
