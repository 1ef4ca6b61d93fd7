/**
 * IncrementalAlterConfigs (api key 44), v0: SET / DELETE / APPEND / SUBTRACT on a topic's
 * overrides (APPEND and SUBTRACT treat the value as a comma-separated list, as Kafka does for list
 * configs such as cleanup.policy). The new override set is computed here and applied with
 * Broker.alterTopicConfigs(..., 'replace'), so the result does not depend on how the engine merges.
 */
import * as api from '../../protocol/apis/incremental-alter-configs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { KafkaCodeError } from '../../common/errors.js';
import { parseTopicConfigs } from '../../storage/log-config.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { alterableTopic } from './config-resources.js';
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
        const info = alterableTopic(resource.resourceType, resource.resourceName, context);
        const overrides = { ...info.configs };
        for (const config of resource.configs) applyOp(overrides, config, broker.topicConfig(resource.resourceName));
        parseTopicConfigs(overrides);
        if (!request.validateOnly) await broker.alterTopicConfigs(resource.resourceName, overrides, 'replace');
      });
      responses.push({ ...api.defaultAlterConfigsResourceResponse(), resourceType: resource.resourceType, resourceName: resource.resourceName, ...outcome });
    }
    return { ...api.defaultIncrementalAlterConfigsResponse(), responses };
  },
  errorResponse: () => api.defaultIncrementalAlterConfigsResponse(),
});

function applyOp(overrides: Record<string, string>, config: api.AlterableConfig, effective: Record<string, string>): void {
  const listOf = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  switch (config.configOperation) {
    case OpType.SET:
      if (config.value === null) throw new KafkaCodeError(ErrorCode.INVALID_CONFIG, `SET of '${config.name}' needs a value`);
      overrides[config.name] = config.value;
      return;
    case OpType.DELETE:
      delete overrides[config.name];
      return;
    case OpType.APPEND:
    case OpType.SUBTRACT: {
      const current = listOf(overrides[config.name] ?? effective[config.name]);
      const given = listOf(config.value ?? '');
      const next = config.configOperation === OpType.APPEND
        ? [...current, ...given.filter((v) => !current.includes(v))]
        : current.filter((v) => !given.includes(v));
      overrides[config.name] = next.join(',');
      return;
    }
    default:
      throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `unknown config operation ${config.configOperation}`);
  }
}
