/**
 * Serdes: how keys and values become record bytes and back (Kafka's Serde = Serializer +
 * Deserializer). null stays null both ways, as in Kafka (a null value is a tombstone), so a serde's
 * own functions only ever see real values.
 *
 * Built in: String (UTF-8), JSON, Bytes (Buffers as they are), Long and Integer (Kafka's 8- and
 * 4-byte big-endian encodings, so results read the same from Java or kcat), and `Serdes.from()`
 * for user functions. `parse` turns a command-line argument into a key (brook streams query);
 * `toJSON` renders a value in query answers.
 */
import { SerializationError } from './errors.js';

export interface Serde<T> {
  readonly name: string;
  serialize(value: T | null, topic?: string): Buffer | null;
  deserialize(bytes: Buffer | null, topic?: string): T | null;
  /** Optional fast path: deserialize bytes[start, end) without a Buffer view (String does). */
  deserializeRange?(bytes: Buffer, start: number, end: number, topic?: string): T;
  /** True when deserialize never fails: any bytes are a value (String). */
  readonly total?: boolean;
  /** A key typed on a command line, as this serde's type. */
  parse(text: string): T;
  /** The value as JSON can show it. */
  toJSON(value: T | null): unknown;
}

export interface SerdeFunctions<T> {
  name?: string;
  serialize(value: T, topic?: string): Buffer | Uint8Array;
  deserialize(bytes: Buffer, topic?: string): T;
  parse?(text: string): T;
  toJSON?(value: T): unknown;
}

function make<T>(f: SerdeFunctions<T> & { name: string }): Serde<T> {
  const name = f.name;
  return {
    name,
    serialize(value, topic) {
      if (value === null || value === undefined) return null;
      let out: Buffer | Uint8Array;
      try {
        out = f.serialize(value, topic);
      } catch (err) {
        throw new SerializationError(`the ${name} serde cannot serialize ${describe(value)}${topic ? ` for topic '${topic}'` : ''}: ${(err as Error).message}`, err);
      }
      return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    deserialize(bytes, topic) {
      if (bytes === null) return null;
      try {
        return f.deserialize(bytes, topic);
      } catch (err) {
        throw new SerializationError(`the ${name} serde cannot deserialize ${bytes.length} bytes${topic ? ` of topic '${topic}'` : ''}: ${(err as Error).message}`, err);
      }
    },
    parse: f.parse ?? ((text) => {
      throw new SerializationError(`the ${name} serde cannot read a key from text ('${text}'); give the serde a parse function`);
    }),
    toJSON: (value) => (value === null ? null : f.toJSON ? f.toJSON(value) : value),
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  return `a ${typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value}`;
}

const stringSerde: Serde<string> = {
  ...make<string>({
    name: 'String',
    serialize(value) {
      if (typeof value !== 'string') throw new TypeError(`expected a string (set a serde for this type: Produced, Grouped or Materialized)`);
      return Buffer.from(value, 'utf8');
    },
    deserialize: (bytes) => bytes.toString('utf8'),
    parse: (text) => text,
  }),
  // Decoding UTF-8 cannot fail (bad sequences become U+FFFD), so no error wrapping is needed.
  deserializeRange: (bytes, start, end) => bytes.toString('utf8', start, end),
  total: true,
};

const jsonSerde = make<unknown>({
  name: 'JSON',
  serialize(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('JSON.stringify gave nothing (a function or undefined)');
    return Buffer.from(text, 'utf8');
  },
  deserialize: (bytes) => JSON.parse(bytes.toString('utf8')) as unknown,
  parse: (text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // a bare word is a JSON string key
    }
  },
});

const bytesSerde = make<Buffer>({
  name: 'Bytes',
  serialize(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError('expected a Buffer or Uint8Array');
    return value;
  },
  deserialize: (bytes) => bytes,
  parse: (text) => Buffer.from(text, 'utf8'),
  toJSON: (value) => value.toString('utf8'),
});

const longSerde = make<number>({
  name: 'Long',
  serialize(value) {
    if (!Number.isSafeInteger(value)) throw new TypeError(`expected a safe integer, got ${String(value)}`);
    // Two's complement int64 as two 32-bit halves (no BigInt per value).
    const out = Buffer.allocUnsafe(8);
    const high = Math.floor(value / 0x1_0000_0000);
    out.writeInt32BE(high, 0);
    out.writeUInt32BE(value - high * 0x1_0000_0000, 4);
    return out;
  },
  deserialize(bytes) {
    if (bytes.length !== 8) throw new RangeError(`a Long is 8 bytes, got ${bytes.length}`);
    const value = bytes.readInt32BE(0) * 0x1_0000_0000 + bytes.readUInt32BE(4);
    if (!Number.isSafeInteger(value)) throw new RangeError(`${bytes.readBigInt64BE(0)} is past 2^53`);
    return value;
  },
  parse: (text) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new SerializationError(`'${text}' is not an integer`);
    return n;
  },
});

const integerSerde = make<number>({
  name: 'Integer',
  serialize(value) {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new TypeError(`expected a 32-bit integer, got ${String(value)}`);
    const out = Buffer.allocUnsafe(4);
    out.writeInt32BE(value);
    return out;
  },
  deserialize(bytes) {
    if (bytes.length !== 4) throw new RangeError(`an Integer is 4 bytes, got ${bytes.length}`);
    return bytes.readInt32BE(0);
  },
  parse: (text) => {
    const n = Number(text);
    if (!Number.isInteger(n)) throw new SerializationError(`'${text}' is not an integer`);
    return n;
  },
});

export const Serdes = {
  String: (): Serde<string> => stringSerde,
  JSON: <T = unknown>(): Serde<T> => jsonSerde as Serde<T>,
  Bytes: (): Serde<Buffer> => bytesSerde,
  Long: (): Serde<number> => longSerde,
  Integer: (): Serde<number> => integerSerde,
  /** A serde from user functions (they see non-null values only). */
  from: <T>(functions: SerdeFunctions<T>): Serde<T> => make({ ...functions, name: functions.name ?? 'custom' }),
};
