/**
 * What DescribeConfigs reports for a topic or the broker, as Kafka's ConfigHelper computes it:
 * each config's value, its source (where the value comes from) and its synonyms (every place that
 * sets it, highest precedence first), plus type, read-only and sensitive flags. Independent of the
 * wire version: the handler leaves out what a version does not carry. Pure; any thread.
 *
 * Kafka's synonym rule, kept as is so tools see what they see with Kafka: the broker-level
 * synonyms of a config start at its own name (ConfigHelper drops the leading entries of other
 * names), so retention.ms at its default lists no synonym (its default comes from
 * log.retention.hours) and reports source DEFAULT_CONFIG.
 */
import { ConfigType } from './config-values.js';
import {
  BROKER_CONFIG_DEFS,
  brokerConfigSynonyms,
  brokerConfigValue,
  orderedLayers,
  type BrokerConfigLayers,
  type LayerSource,
} from './broker-configs.js';
import { TOPIC_CONFIG_DEFS } from './topic-config-defs.js';

/** DescribeConfigsResponse.ConfigSource. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  /** DescribeConfigsResponse.ConfigType. */
  configType: number;
  documentation: string;
  /** Always computed; the handler sends them only when includeSynonyms asks. */
  synonyms: ConfigSynonym[];
}

/** ConfigHelper.configSynonyms: `names` looked up layer by layer, from `name` on. */
function layerSynonyms(layers: BrokerConfigLayers, name: string, names: readonly string[]): ConfigSynonym[] {
  const found: ConfigSynonym[] = [];
  for (const { source, values } of orderedLayers(layers)) {
    for (const synonym of names) {
      const value = values[synonym];
      if (value !== undefined) found.push({ name: synonym, value, source: ConfigSource[source as LayerSource] });
    }
  }
  const start = found.findIndex((s) => s.name === name);
  return start < 0 ? [] : found.slice(start);
}

/**
 * Every topic config of a topic: `values` are the effective values (log-config.ts
 * topicConfigValues), `overrides` the topic's own settings (canonical strings).
 */
export function describeTopicConfigs(values: Record<string, string>, overrides: Record<string, string>, layers: BrokerConfigLayers): DescribedConfig[] {
  return TOPIC_CONFIG_DEFS.map((def) => {
    const server = def.serverSynonyms[0];
    const synonyms = server === undefined ? [] : layerSynonyms(layers, server, brokerConfigSynonyms(server));
    if (overrides[def.name] !== undefined) synonyms.unshift({ name: def.name, value: values[def.name]!, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    return {
      name: def.name,
      value: values[def.name] ?? def.defaultValue,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
      isSensitive: false,
      configType: ConfigType[def.type],
      documentation: def.doc,
      synonyms,
    };
  });
}

/**
 * The broker resource: "0" lists every broker config Brook knows with its value and source;
 * "" (the cluster default) lists only the configs set at that level, as Kafka does.
 */
export function describeBrokerConfigs(layers: BrokerConfigLayers, resource: 'broker' | 'default'): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const def of BROKER_CONFIG_DEFS.values()) {
    if (resource === 'default' && layers.clusterDefault[def.name] === undefined) continue;
    let synonyms = layerSynonyms(layers, def.name, brokerConfigSynonyms(def.name));
    if (resource === 'default') synonyms = synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    out.push({
      name: def.name,
      value: resource === 'default' ? layers.clusterDefault[def.name]! : brokerConfigValue(layers, def.name),
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: !def.dynamic,
      isSensitive: false,
      configType: ConfigType[def.type],
      documentation: def.doc,
      synonyms,
    });
  }
  return out;
}

/** Keeps the configs asked for, in the order asked (null or empty: all, in definition order). */
export function selectConfigs<T extends { name: string }>(configs: readonly T[], keys: readonly string[] | null): T[] {
  if (keys === null || keys.length === 0) return [...configs];
  const byName = new Map(configs.map((c) => [c.name, c]));
  const out: T[] = [];
  for (const key of new Set(keys)) {
    const config = byName.get(key);
    if (config !== undefined) out.push(config);
  }
  return out;
}
