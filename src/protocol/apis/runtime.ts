/**
 * Small helpers the generated API modules (src/protocol/apis/*.ts) share: arrays in their four
 * encodings, version checks, default comparison. Hand-written, not generated.
 */
import { DecodeError } from '../decode-error.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Thrown by an encoder asked to put a value into a version that cannot carry it (a non-ignorable
 * field set away from its default, or null where the version forbids it). Kafka's Java codec
 * throws UnsupportedVersionException in the same spot. It is a caller's mistake, not bad input.
 */
export class UnsupportedVersionError extends Error {
  override name = 'UnsupportedVersionError';
}

export function checkDecodeVersion(message: string, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new DecodeError(`${message} has no version ${version} (codec covers ${min}-${max})`);
  }
}

export function checkEncodeVersion(message: string, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new UnsupportedVersionError(`${message} has no version ${version} (codec covers ${min}-${max})`);
  }
}

export function readArray<T>(reader: Reader, compact: boolean, readElement: (reader: Reader) => T): T[] {
  const count = compact ? reader.readCompactArrayCount() : reader.readArrayCount();
  return reader.readElements(count, readElement);
}

export function readNullableArray<T>(reader: Reader, compact: boolean, readElement: (reader: Reader) => T): T[] | null {
  const count = compact ? reader.readCompactNullableArrayCount() : reader.readNullableArrayCount();
  return count === -1 ? null : reader.readElements(count, readElement);
}

export function writeArray<T>(
  writer: Writer,
  compact: boolean,
  values: readonly T[] | null,
  writeElement: (writer: Writer, value: T) => void,
): void {
  if (compact) writer.writeCompactArrayCount(values === null ? null : values.length);
  else writer.writeArrayCount(values === null ? null : values.length);
  if (values !== null) for (const value of values) writeElement(writer, value);
}

/** A value the version requires to be non-null; null here is the caller's mistake. */
export function required<T>(value: T | null, field: string, version: number): T {
  if (value === null) throw new UnsupportedVersionError(`${field} cannot be null in version ${version}`);
  return value;
}

export function unsupported(field: string, version: number): never {
  throw new UnsupportedVersionError(`${field} is set but version ${version} cannot carry it`);
}

/** Deep equality on decoded protocol values (numbers, strings, booleans, Buffers, arrays, structs). */
export function sameAsDefault(value: unknown, defaultValue: unknown): boolean {
  if (value === defaultValue) return true;
  if (value === null || defaultValue === null || typeof value !== 'object' || typeof defaultValue !== 'object') {
    return false;
  }
  if (Buffer.isBuffer(value) || Buffer.isBuffer(defaultValue)) {
    return Buffer.isBuffer(value) && Buffer.isBuffer(defaultValue) && value.equals(defaultValue);
  }
  if (Array.isArray(value) || Array.isArray(defaultValue)) {
    if (!Array.isArray(value) || !Array.isArray(defaultValue) || value.length !== defaultValue.length) return false;
    return value.every((element, i) => sameAsDefault(element, defaultValue[i]));
  }
  const keys = Object.keys(defaultValue);
  const record = value as Record<string, unknown>;
  const defaults = defaultValue as Record<string, unknown>;
  return keys.every((key) => sameAsDefault(record[key], defaults[key]));
}
