/**
 * AlterConfigs (api key 33), v0-v1 (v1 = v0 on the wire): REPLACES a topic's overrides with the
 * given set (Kafka's legacy semantics: keys left out return to their defaults; a null value is
 * left out). Bad keys or values -> INVALID_CONFIG, unknown topic -> UNKNOWN_TOPIC_OR_PARTITION;
 * broker configs are read-only here -> INVALID_REQUEST. validateOnly checks and changes nothing.
 */
import * as api from '../../protocol/apis/alter-configs.js';
import { parseTopicConfigs } from '../../storage/log-config.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { alterableTopic } from './config-resources.js';
import { attempt } from './errors.js';

export const alterConfigsHandler = defineHandler<api.AlterConfigsRequest, api.AlterConfigsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.AlterConfigsResponse> {
    const { broker } = context.server;
    const responses: api.AlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) {
      const outcome = await attempt(async () => {
        alterableTopic(resource.resourceType, resource.resourceName, context);
        const configs: Record<string, string> = {};
        for (const config of resource.configs) if (config.value !== null) configs[config.name] = config.value;
        parseTopicConfigs(configs);
        if (!request.validateOnly) await broker.alterTopicConfigs(resource.resourceName, configs, 'replace');
      });
      responses.push({
        ...api.defaultAlterConfigsResourceResponse(),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        ...outcome,
      });
    }
    return { ...api.defaultAlterConfigsResponse(), responses };
  },
  errorResponse: () => api.defaultAlterConfigsResponse(),
});
