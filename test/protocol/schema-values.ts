/**
 * Test oracle: builds bodies for any (schema, version) straight from Kafka's JSON schema
 * (test/protocol/fixtures/schemas.json, written by scripts/gen-protocol.mjs), independently of
 * the generated code. Fields a version lacks take their schema default; present ones are random.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SchemaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  ignorable?: boolean;
  fields?: SchemaField[];
}
export interface MessageSchema {
  name: string;
  apiKey?: number;
  validVersions: string;
  fields: SchemaField[];
}
export interface SchemaFixture {
  apis: [string, number, number][];
  data: string[];
  schemas: Record<string, { request?: MessageSchema; response?: MessageSchema; data?: MessageSchema }>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCHEMAS: SchemaFixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'schemas.json'), 'utf8'));

export function inRange(spec: string | undefined, version: number): boolean {
  if (spec === undefined || spec === 'none') return false;
  if (spec.endsWith('+')) return version >= Number(spec.slice(0, -1));
  const [a, b] = spec.split('-');
  return version >= Number(a) && version <= Number(b ?? a);
}

export function versionRange(spec: string): [number, number] {
  const [a, b] = spec.split('-');
  return [Number(a), Number(b ?? a)];
}

const lowerFirst = (s: string): string => s[0]!.toLowerCase() + s.slice(1);
const INTS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 53) + 1, 2 ** 53 - 1], uint16: [0, 65535], uint32: [0, 2 ** 32 - 1],
};

export function defaultOf(f: SchemaField): unknown {
  const d = f.default;
  if (f.type.startsWith('[]')) return d === 'null' ? null : [];
  if (f.type in INTS || f.type === 'float64') return d === undefined ? 0 : Number(d);
  switch (f.type) {
    case 'bool': return d === 'true';
    case 'string': return d === 'null' ? null : (d ?? '');
    case 'uuid': return '00000000-0000-0000-0000-000000000000';
    case 'bytes': return d === 'null' ? null : Buffer.alloc(0);
    case 'records': return null;
    default: return structDefault(f.fields!);
  }
}

function structDefault(fields: SchemaField[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [lowerFirst(f.name), defaultOf(f)]));
}


/** The shared seeded PRNG (test/helpers/random.ts), under the name these tests use. */
export { random as prng } from '../helpers/random.js';

function randomScalar(type: string, rand: () => number): unknown {
  const int = INTS[type];
  if (int) return Math.floor(int[0] + rand() * (int[1] - int[0] + 1));
  const len = Math.floor(rand() * 6);
  switch (type) {
    case 'bool': return rand() < 0.5;
    case 'string': return Array.from({ length: len }, () => 'aZ9._-é'[Math.floor(rand() * 7)]).join('');
    case 'uuid': {
      const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    default: return Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
  }
}

export function randomStruct(fields: SchemaField[], version: number, rand: () => number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const key = lowerFirst(f.name);
    if (!inRange(f.versions, version)) {
      out[key] = defaultOf(f);
    } else if (inRange(f.nullableVersions, version) && rand() < 0.2) {
      out[key] = null;
    } else if (f.type.startsWith('[]')) {
      const inner = f.type.slice(2);
      const count = depth > 3 ? 0 : Math.floor(rand() * 3);
      out[key] = Array.from({ length: count }, () =>
        f.fields ? randomStruct(f.fields, version, rand, depth + 1) : randomScalar(inner, rand));
    } else if (f.fields) {
      out[key] = randomStruct(f.fields, version, rand, depth + 1);
    } else {
      out[key] = randomScalar(f.type, rand);
    }
  }
  return out;
}
