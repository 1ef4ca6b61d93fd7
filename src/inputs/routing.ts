/**
 * Where an input's records go: the topic (a fixed name or a template over the record's fields,
 * `logs.{app}`), the key (a field's value), and the partition (by key with murmur2, as Kafka's
 * default partitioner, or round robin). Every input (syslog, HTTP, files, journald) routes the
 * same way; the fields are what the input parsed: the syslog message, the JSON object of an
 * NDJSON line, a journald entry's fields, the path of a tailed file.
 *
 * Template rules: `{name}` is a field, `{a.b}` a nested one; the value's characters outside
 * Kafka's topic alphabet [a-zA-Z0-9._-] become '_', and a missing or empty field renders as
 * `unknown`, so every record lands in a valid topic (`logs.{app}` → `logs.unknown`) instead of
 * failing. Literal parts must be valid topic characters: the template is checked once, at start.
 */
import { InvalidConfigError } from '../common/errors.js';
import { TOPIC_NAME_MAX_CHARS } from '../common/limits.js';

export type Partitioner = 'key' | 'round-robin';
export const PARTITIONERS: readonly Partitioner[] = ['key', 'round-robin'];

export interface RoutingOptions {
  /** A topic name or a template such as `logs.{app}`. */
  topic: string;
  /** The record key is this field's value (e.g. `hostname`); none when unset or missing. */
  keyField?: string;
  /** 'key' (default): keyed records by murmur2, keyless ones sticky; 'round-robin': each partition in turn. */
  partitioner?: Partitioner;
}

/** A record's fields: a parsed message, as plain JSON data. */
export type Fields = Record<string, unknown>;

const FIELD = /\{([^{}]+)\}/g;
const LITERAL_OK = /^[a-zA-Z0-9._-]*$/;
const MISSING = 'unknown';
/** Distinct keys whose bytes are kept (the cache starts over when full). */
const KEY_CACHE_MAX = 4096;

export class Routing {
  readonly topic: string;
  readonly keyField: string | null;
  readonly roundRobin: boolean;
  private readonly keys = new Map<string, Buffer>();
  /** Template parts: literals at even indexes, field paths at odd ones; null for a fixed topic. */
  private readonly parts: string[] | null;

  constructor(options: RoutingOptions) {
    this.topic = options.topic;
    this.keyField = options.keyField === undefined || options.keyField === '' ? null : options.keyField;
    const partitioner = options.partitioner ?? 'key';
    if (!PARTITIONERS.includes(partitioner)) throw new InvalidConfigError(`partitioner '${partitioner}' is not one of ${PARTITIONERS.join(', ')}`);
    this.roundRobin = partitioner === 'round-robin';
    this.parts = parseTemplate(options.topic);
  }

  /** The options this routing was made from (to make the same routing on another thread). */
  get options(): RoutingOptions {
    return { topic: this.topic, keyField: this.keyField ?? undefined, partitioner: this.roundRobin ? 'round-robin' : 'key' };
  }

  /** Whether routing reads fields at all: inputs skip building them when it does not. */
  get needsFields(): boolean {
    return this.parts !== null || this.keyField !== null;
  }

  /** Whether the topic depends on the record (a template with fields). */
  get isTemplate(): boolean {
    return this.parts !== null;
  }

  /** The topic for a record with these fields. */
  topicFor(fields: Fields | null): string {
    if (this.parts === null) return this.topic;
    let topic = '';
    for (let i = 0; i < this.parts.length; i++) {
      topic += i % 2 === 0 ? this.parts[i]! : topicPart(fieldText(fields, this.parts[i]!));
    }
    if (topic === '.' || topic === '..') return MISSING;
    return topic.length > TOPIC_NAME_MAX_CHARS ? topic.slice(0, TOPIC_NAME_MAX_CHARS) : topic;
  }

  /** The key from `keyField`, or null. Keys repeat (a host, an app): their bytes are cached. */
  keyFor(fields: Fields | null): Buffer | null {
    if (this.keyField === null) return null;
    const text = fieldText(fields, this.keyField);
    if (text === undefined) return null;
    let key = this.keys.get(text);
    if (key === undefined) {
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.clear();
      key = Buffer.from(text, 'utf8');
      this.keys.set(text, key);
    }
    return key;
  }
}

/** The parts of a template, or null when `topic` has no `{field}`; throws on a bad literal. */
function parseTemplate(topic: string): string[] | null {
  const parts: string[] = [];
  let last = 0;
  for (const match of topic.matchAll(FIELD)) {
    parts.push(topic.slice(last, match.index), match[1]!.trim());
    last = match.index + match[0].length;
  }
  parts.push(topic.slice(last));
  for (let i = 0; i < parts.length; i += 2) {
    if (!LITERAL_OK.test(parts[i]!)) throw new InvalidConfigError(`topic '${topic}': '${parts[i]}' has characters outside [a-zA-Z0-9._-] (fields go in {braces})`);
  }
  if (parts.length === 1) {
    if (topic.length === 0) throw new InvalidConfigError('the topic is empty');
    return null;
  }
  return parts;
}

/**
 * A field's value as text (numbers and booleans printed, objects as JSON), or undefined. `path`
 * walks nested objects at its dots; a key that itself has dots (OTLP's `service.name`) is found
 * too: at each level the longest matching key wins.
 */
export function fieldText(fields: Fields | null, path: string): string | undefined {
  const value = lookUp(fields, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function lookUp(value: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  if (Object.hasOwn(object, path)) return object[path];
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const head = path.slice(0, dot);
    if (Object.hasOwn(object, head)) {
      const found = lookUp(object[head], path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function topicPart(text: string | undefined): string {
  if (text === undefined || text.length === 0) return MISSING;
  return text.replace(/[^a-zA-Z0-9._-]/g, '_');
}
