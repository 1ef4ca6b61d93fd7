/**
 * Broker-level configs that default topic configs, as Kafka's KafkaConfig and DynamicBrokerConfig
 * define them: every topic config's server synonym (log.retention.ms for retention.ms, ...) plus
 * the log cleaner's own settings. Values come in layers, highest precedence first:
 *
 *   DYNAMIC_BROKER_CONFIG          AlterConfigs on broker resource "0"  (metadata log)
 *   DYNAMIC_DEFAULT_BROKER_CONFIG  AlterConfigs on broker resource ""   (metadata log)
 *   STATIC_BROKER_CONFIG           what the broker was started with (BrokerOptions.topicDefaults)
 *   DEFAULT_CONFIG                 Kafka's defaults
 *
 * Only Kafka's dynamic broker configs may be altered (the first synonym of each topic config, and
 * log.cleaner.*); log.retention.hours and the like are read-only there too. A topic without an
 * override takes its value from these layers (topicDefaultsFrom). Pure functions; any thread.
 */
import { InvalidConfigError } from '../common/errors.js';
import { atLeast, LONG_MAX_STRING, parseConfigValue, type ConfigDefinition, type ParsedValue } from './config-values.js';
import { TOPIC_CONFIG_DEFS, type TopicConfigDefinition } from './topic-config-defs.js';

/** The two broker resources AlterConfigs may change: "0" (this broker) and "" (cluster default). */
export type BrokerConfigScope = 'broker' | 'default';

export interface BrokerConfigLayers {
  /** DYNAMIC_BROKER_CONFIG (resource "0"). */
  perBroker: Readonly<Record<string, string>>;
  /** DYNAMIC_DEFAULT_BROKER_CONFIG (resource ""). */
  clusterDefault: Readonly<Record<string, string>>;
  /** STATIC_BROKER_CONFIG: the broker's start-up settings, by broker config name. */
  static: Readonly<Record<string, string>>;
}

export const EMPTY_LAYERS: BrokerConfigLayers = Object.freeze({ perBroker: {}, clusterDefault: {}, static: {} });

export interface BrokerConfigDefinition extends ConfigDefinition {
  /** In Kafka's DynamicBrokerConfig.AllDynamicConfigs: alterable without a restart. */
  dynamic: boolean;
}

const HOUR_MS = 3_600_000n;
const MINUTE_MS = 60_000n;

/** Broker configs given in other units: the topic value is the first one set, converted to ms. */
const UNIT_GROUPS: Readonly<Record<string, readonly { name: string; factor: bigint }[]>> = {
  'retention.ms': [{ name: 'log.retention.ms', factor: 1n }, { name: 'log.retention.minutes', factor: MINUTE_MS }, { name: 'log.retention.hours', factor: HOUR_MS }],
  'segment.ms': [{ name: 'log.roll.ms', factor: 1n }, { name: 'log.roll.hours', factor: HOUR_MS }],
  'segment.jitter.ms': [{ name: 'log.roll.jitter.ms', factor: 1n }, { name: 'log.roll.jitter.hours', factor: HOUR_MS }],
  'flush.ms': [{ name: 'log.flush.interval.ms', factor: 1n }, { name: 'log.flush.scheduler.interval.ms', factor: 1n }],
};

/** The broker config of the same meaning as a topic config, with the topic config's type and checks. */
function synonymDef(topic: TopicConfigDefinition, name: string): BrokerConfigDefinition {
  const primary = name === topic.serverSynonyms[0];
  const base = { ...topic, name, dynamic: primary && name !== 'log.message.format.version' };
  switch (name) {
    case 'log.retention.ms':
    case 'log.roll.ms':
    case 'log.roll.jitter.ms':
    case 'log.flush.interval.ms':
      return { ...base, defaultValue: null, check: undefined, validValues: undefined };
    case 'log.retention.minutes':
      return { ...base, type: 'int', defaultValue: null, check: undefined, validValues: undefined };
    case 'log.retention.hours':
      return { ...base, type: 'int', defaultValue: '168', check: undefined, validValues: undefined };
    case 'log.roll.hours':
      return { ...base, type: 'int', defaultValue: '168', check: atLeast(1n), validValues: '[1,...]' };
    case 'log.roll.jitter.hours':
      return { ...base, type: 'int', defaultValue: '0', check: atLeast(0n), validValues: '[0,...]' };
    case 'log.flush.scheduler.interval.ms':
      return { ...base, defaultValue: LONG_MAX_STRING, check: undefined, validValues: undefined };
    default:
      return base;
  }
}

const CLEANER_DEFS: readonly BrokerConfigDefinition[] = [
  { name: 'log.cleaner.backoff.ms', type: 'long', defaultValue: '15000', check: atLeast(0n), dynamic: true, doc: 'Sleep of an idle cleaner thread (accepted, no effect: Brook checks on each partition tick).' },
  { name: 'log.cleaner.dedupe.buffer.size', type: 'long', defaultValue: '134217728', dynamic: true, doc: 'Memory for all cleaner offset maps (accepted, no effect: a pass maps at most 64 MiB of dirty log).' },
  { name: 'log.cleaner.enable', type: 'boolean', defaultValue: 'true', dynamic: false, doc: 'Run the log cleaner (always on).' },
  { name: 'log.cleaner.io.buffer.load.factor', type: 'double', defaultValue: '0.9', dynamic: true, doc: 'Offset map load factor (accepted, no effect).' },
  { name: 'log.cleaner.io.buffer.size', type: 'int', defaultValue: '524288', check: atLeast(0n), dynamic: true, doc: 'Cleaner I/O buffer size (accepted, no effect).' },
  { name: 'log.cleaner.io.max.bytes.per.second', type: 'double', defaultValue: '1.7976931348623157E308', dynamic: true, doc: 'Cleaner I/O throttle (accepted, no effect).' },
  { name: 'log.cleaner.threads', type: 'int', defaultValue: '1', check: atLeast(0n), dynamic: true, doc: 'Cleaner threads (accepted, no effect: each partition worker cleans its own logs).' },
];

function buildDefs(): Map<string, BrokerConfigDefinition> {
  const defs = new Map<string, BrokerConfigDefinition>();
  for (const topic of TOPIC_CONFIG_DEFS) for (const name of topic.serverSynonyms) defs.set(name, synonymDef(topic, name));
  for (const def of CLEANER_DEFS) defs.set(def.name, def);
  return new Map([...defs].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Every broker config Brook knows, by name (sorted). */
export const BROKER_CONFIG_DEFS: ReadonlyMap<string, BrokerConfigDefinition> = buildDefs();

/** The topic config a broker config defaults, if any. */
const TOPIC_BY_SERVER_NAME: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  TOPIC_CONFIG_DEFS.flatMap((t) => t.serverSynonyms.map((name) => [name, t] as const)),
);

/** Kafka's brokerConfigSynonyms: the names that set the same thing, highest precedence first. */
export function brokerConfigSynonyms(name: string): string[] {
  const topic = TOPIC_BY_SERVER_NAME.get(name);
  return topic !== undefined && topic.serverSynonyms.length > 1 ? [...topic.serverSynonyms] : [name];
}

/**
 * Validates configs for AlterConfigs on a broker resource and returns canonical strings. Unknown
 * names and configs Kafka does not update dynamically are INVALID_CONFIG, as are bad values.
 */
export function parseBrokerConfigs(configs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(configs)) {
    const def = BROKER_CONFIG_DEFS.get(name);
    if (def === undefined) throw new InvalidConfigError(`Unknown broker config name: ${name}`);
    if (!def.dynamic) throw new InvalidConfigError(`Cannot update these configs dynamically: ${name}`);
    out[name] = parseConfigValue(def, raw).text;
  }
  return out;
}

/**
 * BrokerOptions.topicDefaults (topic config names, as the embedded API takes them) as the
 * STATIC_BROKER_CONFIG layer (broker names). A topic config without a server default cannot be
 * defaulted broker-wide: InvalidConfigError.
 */
export function staticLayerFromTopicDefaults(topicDefaults: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(topicDefaults)) {
    const topic = TOPIC_CONFIG_DEFS.find((t) => t.name === name);
    if (topic === undefined) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
    const serverName = topic.serverSynonyms[0];
    if (serverName === undefined) throw new InvalidConfigError(`topic config ${name} has no broker-wide default in Kafka`);
    out[serverName] = parseConfigValue(topic, raw).text;
  }
  return out;
}

export type LayerSource = 'DYNAMIC_BROKER_CONFIG' | 'DYNAMIC_DEFAULT_BROKER_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

/** The layers in precedence order, Kafka's defaults last. */
export function orderedLayers(layers: BrokerConfigLayers): { source: LayerSource; values: Readonly<Record<string, string>> }[] {
  return [
    { source: 'DYNAMIC_BROKER_CONFIG', values: layers.perBroker },
    { source: 'DYNAMIC_DEFAULT_BROKER_CONFIG', values: layers.clusterDefault },
    { source: 'STATIC_BROKER_CONFIG', values: layers.static },
    { source: 'DEFAULT_CONFIG', values: kafkaDefaults() },
  ];
}

let defaultsCache: Record<string, string> | null = null;

function kafkaDefaults(): Record<string, string> {
  if (defaultsCache === null) {
    defaultsCache = {};
    for (const def of BROKER_CONFIG_DEFS.values()) if (def.defaultValue !== null) defaultsCache[def.name] = def.defaultValue;
  }
  return defaultsCache;
}

/** A broker config's value: the highest layer that sets it, or null (Kafka's null default). */
export function brokerConfigValue(layers: BrokerConfigLayers, name: string): string | null {
  for (const { values } of orderedLayers(layers)) if (values[name] !== undefined) return values[name]!;
  return null;
}

/**
 * What the broker layers make of each topic config that has a server default (topic config
 * names, canonical strings). For retention.ms and the like, the first of ms/minutes/hours that is
 * set wins, converted to ms (a negative retention is -1), as KafkaConfig resolves them.
 */
export function topicDefaultsFrom(layers: BrokerConfigLayers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const topic of TOPIC_CONFIG_DEFS) {
    const group = UNIT_GROUPS[topic.name];
    if (group !== undefined) {
      for (const { name, factor } of group) {
        const value = brokerConfigValue(layers, name);
        if (value === null) continue;
        let ms = BigInt(value) * factor;
        if (topic.name === 'retention.ms' && ms < 0n) ms = -1n;
        out[topic.name] = ms.toString();
        break;
      }
      continue;
    }
    const serverName = topic.serverSynonyms[0];
    if (serverName === undefined) continue;
    const value = brokerConfigValue(layers, serverName);
    if (value !== null) out[topic.name] = value;
  }
  return out;
}

/** Parses a stored or given value of a known broker config (for typed reads elsewhere). */
export function parsedBrokerValue(name: string, text: string): ParsedValue {
  return parseConfigValue(BROKER_CONFIG_DEFS.get(name)!, text).value;
}
