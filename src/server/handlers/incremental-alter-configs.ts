/**
 * IncrementalAlterConfigs (api key 44), every version the codec serves: SET / DELETE / APPEND /
 * SUBTRACT on a topic's overrides or on the dynamic configs of broker resource "0" or "" (the
 * cluster default). APPEND and SUBTRACT treat the value as a comma-separated list and apply only
 * to LIST configs (cleanup.policy, ...), else INVALID_CONFIG, as Kafka. The same key twice in one
 * resource -> INVALID_REQUEST. The new set is computed here and applied whole ('replace'), so the
 * result does not depend on how the engine merges; a failed resource changes nothing.
 */
import * as api from '../../protocol/apis/incremental-alter-configs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { KafkaCodeError } from '../../common/errors.js';
import { BROKER_CONFIG_DEFS, brokerConfigValue, topicDefaultsFrom } from '../../storage/broker-configs.js';
import { isListConfig, parseTopicConfigs } from '../../storage/log-config.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { alterableResource } from './config-resources.js';
import { attempt } from './errors.js';

/** AlterConfigOp.OpType in Kafka. */
const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export const incrementalAlterConfigsHandler = defineHandler<api.IncrementalAlterConfigsRequest, api.IncrementalAlterConfigsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.IncrementalAlterConfigsResponse> {
    const { broker } = context.server;
    const responses: api.AlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) {
      const outcome = await attempt(async () => {
        const target = alterableResource(resource.resourceType, resource.resourceName, context);
        const names = resource.configs.map((c) => c.name);
        if (new Set(names).size !== names.length) throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
        const layers = broker.brokerConfigLayers();
        if (target.kind === 'broker') {
          const current = { ...(target.scope === 'broker' ? layers.perBroker : layers.clusterDefault) };
          const isList = (name: string): boolean => BROKER_CONFIG_DEFS.get(name)?.type === 'list';
          for (const config of resource.configs) applyOp(current, config, isList, (name) => brokerConfigValue(layers, name) ?? '');
          await broker.alterBrokerConfigs(target.scope, current, request.validateOnly);
          return;
        }
        const overrides = { ...target.info.configs };
        const effective = broker.topicConfig(resource.resourceName);
        for (const config of resource.configs) applyOp(overrides, config, isListConfig, (name) => effective[name] ?? '');
        parseTopicConfigs(overrides, topicDefaultsFrom(layers));
        if (!request.validateOnly) await broker.alterTopicConfigs(resource.resourceName, overrides, 'replace');
      });
      responses.push({ ...api.defaultAlterConfigsResourceResponse(), resourceType: resource.resourceType, resourceName: resource.resourceName, ...outcome });
    }
    return { ...api.defaultIncrementalAlterConfigsResponse(), responses };
  },
  errorResponse: () => api.defaultIncrementalAlterConfigsResponse(),
});

function applyOp(
  values: Record<string, string>,
  config: api.AlterableConfig,
  isList: (name: string) => boolean,
  effective: (name: string) => string,
): void {
  const listOf = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  switch (config.configOperation) {
    case OpType.SET:
      if (config.value === null) throw new KafkaCodeError(ErrorCode.INVALID_CONFIG, `SET of '${config.name}' needs a value`);
      values[config.name] = config.value;
      return;
    case OpType.DELETE:
      delete values[config.name];
      return;
    case OpType.APPEND:
    case OpType.SUBTRACT: {
      const op = config.configOperation === OpType.APPEND ? 'APPEND' : 'SUBTRACT';
      if (!isList(config.name)) throw new KafkaCodeError(ErrorCode.INVALID_CONFIG, `Can't ${op} to key ${config.name} because its type is not LIST.`);
      const current = listOf(values[config.name] ?? effective(config.name));
      const given = listOf(config.value ?? '');
      const next = op === 'APPEND' ? [...current, ...given.filter((v) => !current.includes(v))] : current.filter((v) => !given.includes(v));
      values[config.name] = next.join(',');
      return;
    }
    default:
      throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `unknown config operation ${config.configOperation}`);
  }
}
