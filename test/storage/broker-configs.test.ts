/**
 * Broker-level configs as topic defaults, and what DescribeConfigs derives from the layers:
 * sources and synonyms the way Kafka's ConfigHelper reports them.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/common/errors.js';
import {
  BROKER_CONFIG_DEFS, EMPTY_LAYERS, parseBrokerConfigs, staticLayerFromTopicDefaults, topicDefaultsFrom, type BrokerConfigLayers,
} from '../../src/storage/broker-configs.js';
import { ConfigSource, describeBrokerConfigs, describeTopicConfigs, selectConfigs } from '../../src/storage/config-describe.js';
import { topicConfigValues } from '../../src/storage/log-config.js';

function layers(partial: Partial<BrokerConfigLayers>): BrokerConfigLayers {
  return { ...EMPTY_LAYERS, ...partial };
}

describe('broker configs as topic defaults', () => {
  it('resolves ms / minutes / hours synonyms as Kafka does: the first one set wins, in ms', () => {
    expect(topicDefaultsFrom(EMPTY_LAYERS)['retention.ms']).toBe('604800000'); // log.retention.hours=168
    expect(topicDefaultsFrom(layers({ static: { 'log.retention.minutes': '2' } }))['retention.ms']).toBe('120000');
    // A per-broker hours value does not beat a static ms value: ms has precedence among synonyms.
    expect(topicDefaultsFrom(layers({ static: { 'log.retention.ms': '1000' }, perBroker: { 'log.retention.minutes': '1' } }))['retention.ms']).toBe('1000');
    expect(topicDefaultsFrom(layers({ clusterDefault: { 'log.retention.ms': '-7' } }))['retention.ms']).toBe('-1');
    expect(topicDefaultsFrom(layers({ clusterDefault: { 'log.roll.ms': '5000' } }))['segment.ms']).toBe('5000');
    expect(topicDefaultsFrom(EMPTY_LAYERS)['flush.ms']).toBe('9223372036854775807'); // log.flush.scheduler.interval.ms
  });

  it('takes per-broker over cluster default over static over Kafka default', () => {
    const all = layers({ perBroker: { 'log.segment.bytes': '3000' }, clusterDefault: { 'log.segment.bytes': '2000' }, static: { 'log.segment.bytes': '1000' } });
    expect(topicDefaultsFrom(all)['segment.bytes']).toBe('3000');
    expect(topicDefaultsFrom({ ...all, perBroker: {} })['segment.bytes']).toBe('2000');
    expect(topicDefaultsFrom({ ...all, perBroker: {}, clusterDefault: {} })['segment.bytes']).toBe('1000');
    expect(topicDefaultsFrom(layers({ clusterDefault: { 'message.max.bytes': '2048' } }))['max.message.bytes']).toBe('2048');
  });

  it('alters only dynamic broker configs, with the topic config\'s checks, naming the config', () => {
    expect(parseBrokerConfigs({ 'log.retention.ms': ' 5000 ', 'log.cleaner.threads': '2', 'compression.type': 'zstd' }))
      .toEqual({ 'log.retention.ms': '5000', 'log.cleaner.threads': '2', 'compression.type': 'zstd' });
    const refused = (configs: Record<string, string>, pattern: RegExp) => expect(() => parseBrokerConfigs(configs)).toThrow(pattern);
    refused({ 'log.retention.hours': '1' }, /Cannot update these configs dynamically: log.retention.hours/);
    refused({ 'log.message.format.version': '3.0' }, /dynamically: log.message.format.version/);
    refused({ 'retention.ms': '1' }, /Unknown broker config name: retention.ms/);
    refused({ 'log.segment.bytes': '13' }, /log.segment.bytes: Value must be at least 14/);
    refused({ 'log.cleanup.policy': 'shred' }, /log.cleanup.policy/);
    for (const [name, def] of BROKER_CONFIG_DEFS) expect(def.doc.length, name).toBeGreaterThan(5);
  });

  it('maps the embedded topicDefaults option to the static layer by server synonym', () => {
    expect(staticLayerFromTopicDefaults({ 'retention.ms': '1000', 'max.message.bytes': '5000' })).toEqual({ 'log.retention.ms': '1000', 'message.max.bytes': '5000' });
    expect(() => staticLayerFromTopicDefaults({ 'remote.storage.enable': 'false' })).toThrow(InvalidConfigError);
  });
});

describe('DescribeConfigs sources and synonyms', () => {
  const describeTopic = (overrides: Record<string, string>, l: BrokerConfigLayers) =>
    new Map(describeTopicConfigs(topicConfigValues(overrides, topicDefaultsFrom(l)), overrides, l).map((c) => [c.name, c]));

  it('reports a topic config at its default with DEFAULT_CONFIG and its broker default as a synonym', () => {
    const configs = describeTopic({}, EMPTY_LAYERS);
    expect(configs.size).toBe(36);
    expect(configs.get('segment.bytes')).toMatchObject({ value: '1073741824', source: ConfigSource.DEFAULT_CONFIG, readOnly: false, isSensitive: false, configType: 3,
      synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG }] });
    // Kafka lists no synonym for retention.ms at its default: the value comes from log.retention.hours.
    expect(configs.get('retention.ms')).toMatchObject({ value: '604800000', source: ConfigSource.DEFAULT_CONFIG, synonyms: [], configType: 5 });
    expect(configs.get('cleanup.policy')!.configType).toBe(7);
    expect(configs.get('min.cleanable.dirty.ratio')!.configType).toBe(6);
    expect(configs.get('preallocate')!.configType).toBe(1);
    expect(configs.get('compression.type')!.configType).toBe(2);
  });

  it('lists every level that sets a config, highest precedence first, and takes the source from the first', () => {
    const l = layers({ perBroker: { 'log.retention.ms': '3000' }, clusterDefault: { 'log.retention.ms': '2000' } });
    const overridden = describeTopic({ 'retention.ms': '1000' }, l).get('retention.ms')!;
    expect(overridden.value).toBe('1000');
    expect(overridden.source).toBe(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    expect(overridden.synonyms).toEqual([
      { name: 'retention.ms', value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.ms', value: '3000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '2000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    const fromBroker = describeTopic({}, l).get('retention.ms')!;
    expect([fromBroker.value, fromBroker.source]).toEqual(['3000', ConfigSource.DYNAMIC_BROKER_CONFIG]);
    const fromStatic = describeTopic({}, layers({ static: { 'log.segment.bytes': '4096' } })).get('segment.bytes')!;
    expect([fromStatic.value, fromStatic.source]).toEqual(['4096', ConfigSource.STATIC_BROKER_CONFIG]);
  });

  it('describes broker "0" with every config and "" with only the cluster-default ones', () => {
    const l = layers({ clusterDefault: { 'log.retention.ms': '2000' } });
    const all = new Map(describeBrokerConfigs(l, 'broker').map((c) => [c.name, c]));
    expect(all.get('log.retention.ms')).toMatchObject({ value: '2000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false });
    expect(all.get('log.retention.hours')).toMatchObject({ value: '168', source: ConfigSource.DEFAULT_CONFIG, readOnly: true });
    expect(all.get('log.roll.ms')).toMatchObject({ value: null, source: ConfigSource.DEFAULT_CONFIG });
    const defaults = describeBrokerConfigs(l, 'default');
    expect(defaults.map((c) => [c.name, c.value, c.source])).toEqual([['log.retention.ms', '2000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]]);
  });

  it('keeps the configs asked for in the order asked; null or empty keys mean all', () => {
    const configs = describeTopicConfigs(topicConfigValues({}), {}, EMPTY_LAYERS);
    expect(selectConfigs(configs, ['segment.ms', 'no.such', 'cleanup.policy', 'segment.ms']).map((c) => c.name)).toEqual(['segment.ms', 'cleanup.policy']);
    expect(selectConfigs(configs, []).length).toBe(36);
    expect(selectConfigs(configs, null).length).toBe(36);
  });
});
