/**
 * A BrookBackend across a worker-thread boundary. The main thread owns the real backend (an
 * in-process broker, or a network connection to `brook serve` or Kafka); each stream worker
 * talks to it through a MessagePort with RemoteBackend, so the worker's producer and fetches work
 * unchanged on every backend. Calls are batched by nature (one fetch, one produced batch, one
 * metadata call per message: never one message per record, DESIGN.md's rule). Record bytes are
 * copied once into their own ArrayBuffer and transferred, never cloned with a pooled buffer.
 *
 * BackendHost: main thread, one per worker. RemoteBackend: the worker's side. Neither is
 * thread-safe beyond that split.
 */
import type { MessagePort } from 'node:worker_threads';
import { BrookError, KafkaCodeError } from '../../common/errors.js';
import type { Acks, BackendFetchOptions, BackendFetchRequest, BackendFetchResult, BackendProduceResult, BrookBackend, TopicDescription, TopicDetails } from '../../embedded/backend.js';
import { KafkaError } from '../../embedded/kafka-error.js';

type Method = 'fetch' | 'produce' | 'listOffset' | 'describeTopic' | 'listTopics' | 'initProducerId' | 'deleteRecords' | 'createTopic' | 'flush';

interface CallMessage {
  id: number;
  method: Method;
  args: unknown[];
}

interface WireError {
  name: string;
  message: string;
  code?: string;
  errorCode?: number;
}

type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** A copy of `bytes` in an ArrayBuffer of its own (transferable, and not a view of a pool). */
function own(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toWire(err: unknown): WireError {
  const e = err as { name?: string; message?: string; code?: unknown; errorCode?: unknown };
  return {
    name: e?.name ?? 'Error', message: e?.message ?? String(err),
    code: typeof e?.code === 'string' ? e.code : undefined,
    errorCode: typeof e?.errorCode === 'number' ? e.errorCode : undefined,
  };
}

function fromWire(wire: WireError): Error {
  if (wire.name === 'KafkaError' && wire.errorCode !== undefined) return new KafkaError(wire.errorCode, wire.message.replace(/^[A-Z_]+: /, ''));
  if (wire.errorCode !== undefined) return new KafkaCodeError(wire.errorCode, wire.message);
  if (wire.code !== undefined) return BrookError.fromWire({ code: wire.code, message: wire.message });
  return new Error(wire.message);
}

/** Serves a worker's calls against the real backend. */
export class BackendHost {
  constructor(
    private readonly port: MessagePort,
    private readonly backend: BrookBackend,
  ) {
    port.on('message', (message: CallMessage) => void this.serve(message));
  }

  private async serve({ id, method, args }: CallMessage): Promise<void> {
    try {
      const transfer: ArrayBuffer[] = [];
      let value: unknown;
      switch (method) {
        case 'fetch': {
          const results = await this.backend.fetch(args[0] as BackendFetchRequest[], args[1] as BackendFetchOptions);
          value = results.map((r) => {
            if (r.records === null) return r;
            const records = own(r.records);
            transfer.push(records.buffer as ArrayBuffer);
            return { ...r, records };
          });
          break;
        }
        case 'produce':
          value = await this.backend.produce(args[0] as string, args[1] as number, asBuffer(args[2] as Uint8Array), args[3] as Acks);
          break;
        case 'listOffset':
          value = await this.backend.listOffset(args[0] as string, args[1] as number, args[2] as number);
          break;
        case 'describeTopic':
          value = await this.backend.describeTopic(args[0] as string);
          break;
        case 'listTopics':
          value = await this.backend.listTopics();
          break;
        case 'initProducerId':
          value = await this.backend.initProducerId();
          break;
        case 'deleteRecords':
          value = await this.backend.deleteRecords(args[0] as string, args[1] as number, args[2] as number);
          break;
        case 'createTopic':
          value = await this.backend.createTopic(args[0] as string, args[1] as { partitions: number; configs?: Record<string, string> });
          break;
        case 'flush':
          value = await this.backend.flush();
          break;
      }
      this.port.postMessage({ id, ok: true, value } satisfies ReplyMessage, transfer);
    } catch (err) {
      this.port.postMessage({ id, ok: false, error: toWire(err) } satisfies ReplyMessage);
    }
  }
}

/** The worker's BrookBackend: every call goes to the main thread's BackendHost. */
export class RemoteBackend implements BrookBackend {
  private nextId = 0;
  private readonly calls = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  readonly groups = undefined;

  constructor(
    private readonly port: MessagePort,
    readonly autoCreateTopics: boolean,
    readonly numPartitions: number,
  ) {
    port.on('message', (reply: ReplyMessage) => {
      const call = this.calls.get(reply.id);
      if (call === undefined) return;
      this.calls.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(fromWire(reply.error));
    });
  }

  async fetch(requests: BackendFetchRequest[], options: BackendFetchOptions): Promise<BackendFetchResult[]> {
    const results = (await this.call('fetch', [requests, options])) as Array<Omit<BackendFetchResult, 'records'> & { records: Uint8Array | null }>;
    return results.map((r) => ({ ...r, records: r.records === null ? null : asBuffer(r.records) }));
  }

  produce(topic: string, partition: number, batches: Buffer, acks: Acks): Promise<BackendProduceResult> {
    const bytes = own(batches);
    return this.call('produce', [topic, partition, bytes, acks], [bytes.buffer as ArrayBuffer]) as Promise<BackendProduceResult>;
  }

  listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }> {
    return this.call('listOffset', [topic, partition, timestamp]) as Promise<{ errorCode: number; offset: number; timestamp: number }>;
  }

  describeTopic(name: string): Promise<TopicDetails | undefined> {
    return this.call('describeTopic', [name]) as Promise<TopicDetails | undefined>;
  }

  listTopics(): Promise<TopicDescription[]> {
    return this.call('listTopics', []) as Promise<TopicDescription[]>;
  }

  initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    return this.call('initProducerId', []) as Promise<{ producerId: number; producerEpoch: number }>;
  }

  deleteRecords(topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    return this.call('deleteRecords', [topic, partition, offset]) as Promise<{ errorCode: number; lowWatermark: number }>;
  }

  async createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void> {
    await this.call('createTopic', [name, options]);
  }

  async flush(): Promise<void> {
    await this.call('flush', []);
  }

  deleteTopic(): Promise<void> {
    return Promise.reject(new Error('a stream thread does not delete topics'));
  }

  createPartitions(): Promise<void> {
    return Promise.reject(new Error('a stream thread does not create partitions'));
  }

  alterTopicConfigs(): Promise<void> {
    return Promise.reject(new Error('a stream thread does not alter topic configs'));
  }

  /** The main thread owns the real backend; closing the worker's side only drops pending calls. */
  async close(): Promise<void> {
    for (const call of this.calls.values()) call.reject(new Error('the backend connection is closed'));
    this.calls.clear();
  }

  private call(method: Method, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.calls.set(id, { resolve, reject });
      this.port.postMessage({ id, method, args } satisfies CallMessage, transfer);
    });
  }
}
