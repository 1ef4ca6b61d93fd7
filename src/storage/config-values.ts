/**
 * Kafka's config value types (ConfigDef.Type) and validators, for topic and broker configs. Values
 * arrive as strings (CreateTopics, AlterConfigs, the CLI, the metadata log); `parseConfigValue`
 * checks one against its definition the way Kafka's ConfigDef.parse does and renders it back the
 * way DescribeConfigs reports it (ConfigDef.convertToString): trimmed, lists joined by ",", longs
 * and ints in decimal, doubles in Java's notation ("1.0", "0.5"), booleans in lower case.
 *
 * Errors are InvalidConfigError with Kafka's wording ("Invalid value X for configuration Y: ..."),
 * so a client sees which config was wrong and why. Pure functions; any thread.
 */
import { InvalidConfigError } from '../common/errors.js';

/** ConfigDef.Type; the number is DescribeConfigsResponse.ConfigType (v3+ configType). */
export const ConfigType = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 } as const;
export type ConfigTypeName = keyof typeof ConfigType;

export const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
/** Kafka renders Long.MAX_VALUE ("unbounded") this way. */
export const LONG_MAX_STRING = LONG_MAX.toString();

/** A value after type parsing: integers as bigint (longs exceed 2^53), lists as string arrays. */
export type ParsedValue = bigint | number | boolean | string | string[];

export interface ConfigDefinition {
  name: string;
  type: ConfigTypeName;
  /** Kafka's default, rendered as DescribeConfigs shows it; null when the config has none. */
  defaultValue: string | null;
  /** Validator: null when the value is acceptable, else Kafka's reason ("Value must be at least 0"). */
  check?: (value: ParsedValue) => string | null;
  /** Valid values as Kafka's documentation writes them, for the README and error messages. */
  validValues?: string;
  /** One line saying what it does (DescribeConfigs v3+ documentation). */
  doc: string;
}

export function invalidValue(name: string, raw: string, reason: string): InvalidConfigError {
  return new InvalidConfigError(`Invalid value ${raw} for configuration ${name}: ${reason}`);
}

/** Parses and validates `raw` for `def`; returns the parsed value and its canonical string. */
export function parseConfigValue(def: ConfigDefinition, raw: string): { value: ParsedValue; text: string } {
  const trimmed = String(raw).trim();
  const value = parseType(def, trimmed);
  const reason = def.check?.(value) ?? null;
  if (reason !== null) throw invalidValue(def.name, trimmed, reason);
  return { value, text: renderValue(def.type, value) };
}

function parseType(def: ConfigDefinition, trimmed: string): ParsedValue {
  switch (def.type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalidValue(def.name, trimmed, 'Expected value to be either true or false');
      return lower === 'true';
    }
    case 'int':
    case 'short':
    case 'long': {
      const [min, max] = def.type === 'long' ? [LONG_MIN, LONG_MAX] : def.type === 'int' ? [INT_MIN, INT_MAX] : [-32768n, 32767n];
      if (!/^[-+]?\d+$/.test(trimmed)) throw invalidValue(def.name, trimmed, `Not a number of type ${def.type.toUpperCase()}`);
      const value = BigInt(trimmed);
      if (value < min || value > max) throw invalidValue(def.name, trimmed, `Not a number of type ${def.type.toUpperCase()}`);
      return value;
    }
    case 'double': {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) throw invalidValue(def.name, trimmed, 'Not a number of type DOUBLE');
      return Number(trimmed);
    }
    case 'list':
      return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
    case 'string':
    case 'class':
    case 'password':
      return trimmed;
  }
}

/** ConfigDef.convertToString for a parsed value. */
export function renderValue(type: ConfigTypeName, value: ParsedValue): string {
  if (Array.isArray(value)) return value.join(',');
  if (type === 'double') return javaDouble(value as number);
  return String(value);
}

/** Java's Double.toString: "1.0", "0.5", "1.0E-5", "1.0E7". */
export function javaDouble(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  const abs = Math.abs(value);
  if (abs === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(value) ? `${value}.0` : String(value);
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

// ---- Kafka's validators (ConfigDef.Range, ValidString, ValidList), as `check` functions ----

/** Range.atLeast(min). */
export function atLeast(min: bigint | number): (value: ParsedValue) => string | null {
  return (value) => (compare(value, min) < 0 ? `Value must be at least ${renderBound(min)}` : null);
}

/** Range.between(min, max). */
export function between(min: bigint | number, max: bigint | number): (value: ParsedValue) => string | null {
  return (value) => {
    if (compare(value, min) < 0) return `Value must be at least ${renderBound(min)}`;
    if (compare(value, max) > 0) return `Value must be no more than ${renderBound(max)}`;
    return null;
  };
}

/** ValidString.in(...): exact (case-sensitive) match. */
export function oneOf(values: readonly string[]): (value: ParsedValue) => string | null {
  return (value) => (values.includes(value as string) ? null : `String must be one of: ${values.join(', ')}`);
}

/** ValidList.in(...): every element must be one of `values`. */
export function listOf(values: readonly string[]): (value: ParsedValue) => string | null {
  return (value) => ((value as string[]).every((v) => values.includes(v)) ? null : `String must be one of: ${values.join(', ')}`);
}

function compare(value: ParsedValue, bound: bigint | number): number {
  if (typeof value === 'bigint' && typeof bound === 'bigint') return value < bound ? -1 : value > bound ? 1 : 0;
  const a = Number(value);
  const b = Number(bound);
  return a < b ? -1 : a > b ? 1 : 0;
}

function renderBound(bound: bigint | number): string {
  return typeof bound === 'bigint' ? bound.toString() : javaDouble(bound).replace(/\.0$/, '');
}

/** A long config as a JS number; past 2^53 (in practice Long.MAX_VALUE: "unbounded") it is Infinity. */
export function longToNumber(value: bigint): number {
  if (value >= BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
  if (value <= BigInt(Number.MIN_SAFE_INTEGER)) return -Infinity;
  return Number(value);
}
