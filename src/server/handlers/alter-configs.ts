/**
 * AlterConfigs (api key 33), every version the codec serves (v1 = v0 on the wire): REPLACES a
 * resource's config set with the given one (Kafka's legacy semantics: keys left out return to
 * their defaults; a null value is left out).
 *  - topic: its overrides; bad keys or values -> INVALID_CONFIG naming the config, unknown topic
 *    -> UNKNOWN_TOPIC_OR_PARTITION.
 *  - broker "0" or "" (cluster default): the dynamic broker configs of that level
 *    (broker-configs.ts), kept in the metadata log; a config Kafka does not update dynamically
 *    -> INVALID_CONFIG.
 * validateOnly checks and changes nothing. A failed resource changes nothing.
 */
import * as api from '../../protocol/apis/alter-configs.js';
import { topicDefaultsFrom } from '../../storage/broker-configs.js';
import { parseTopicConfigs } from '../../storage/log-config.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { alterableResource } from './config-resources.js';
import { attempt } from './errors.js';

export const alterConfigsHandler = defineHandler<api.AlterConfigsRequest, api.AlterConfigsResponse>({
  codec: api,
  exclusive: true,
  async handle(request, context: RequestContext): Promise<api.AlterConfigsResponse> {
    const { broker } = context.server;
    const responses: api.AlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) {
      const outcome = await attempt(async () => {
        const target = alterableResource(resource.resourceType, resource.resourceName, context);
        const configs: Record<string, string> = {};
        for (const config of resource.configs) if (config.value !== null) configs[config.name] = config.value;
        if (target.kind === 'broker') {
          await broker.alterBrokerConfigs(target.scope, configs, request.validateOnly);
          return;
        }
        parseTopicConfigs(configs, topicDefaultsFrom(broker.brokerConfigLayers()));
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
