/**
 * DescribeConfigs (api key 32), every version the codec serves. Per resource, as Kafka's
 * ConfigHelper answers:
 *  - topic: all of Kafka 3.9's topic configs with their effective values, each with its source
 *    (DYNAMIC_TOPIC_CONFIG for an override, DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG /
 *    STATIC_BROKER_CONFIG for a broker-level default, DEFAULT_CONFIG otherwise); unknown topic ->
 *    UNKNOWN_TOPIC_OR_PARTITION.
 *  - broker "0": the server's read-only settings and every broker config with value and source;
 *    broker "" (cluster default): only the configs set at that level. Another id or a name that is
 *    not an integer -> INVALID_REQUEST.
 * configurationKeys null or empty = all (in definition order); otherwise the configs asked for,
 * in the order asked (unknown names are left out). Version-dependent fields: isDefault (v0 only),
 * configSource and synonyms (v1+, synonyms only with includeSynonyms), configType and
 * documentation (v3+, documentation only with includeDocumentation).
 */
import * as api from '../../protocol/apis/describe-configs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { KafkaCodeError } from '../../common/errors.js';
import { describeBrokerConfigs, describeTopicConfigs, selectConfigs, type DescribedConfig } from '../../storage/config-describe.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';
import { brokerScope, ConfigSource, ResourceType, serverConfigEntries } from './config-resources.js';

type Result = api.DescribeConfigsResult;
type Entry = api.DescribeConfigsResourceResult;

export const describeConfigsHandler = defineHandler<api.DescribeConfigsRequest, api.DescribeConfigsResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.DescribeConfigsResponse {
    return {
      ...api.defaultDescribeConfigsResponse(),
      results: request.resources.map((resource) => describe(resource, request, context)),
    };
  },
  errorResponse: () => api.defaultDescribeConfigsResponse(),
});

function describe(resource: api.DescribeConfigsResource, request: api.DescribeConfigsRequest, context: RequestContext): Result {
  const result: Result = {
    ...api.defaultDescribeConfigsResult(),
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    errorMessage: null,
  };
  try {
    const configs = selectConfigs(describedConfigs(resource, context), resource.configurationKeys);
    return { ...result, configs: configs.map((c) => entry(c, request, context.apiVersion)) };
  } catch (err) {
    if (!(err instanceof KafkaCodeError)) throw err;
    return { ...result, errorCode: err.errorCode, errorMessage: err.message };
  }
}

function describedConfigs(resource: api.DescribeConfigsResource, context: RequestContext): DescribedConfig[] {
  const { broker } = context.server;
  if (resource.resourceType === ResourceType.TOPIC) {
    if (!allowed(context, 'describe', 'topic', resource.resourceName)) throw new KafkaCodeError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
    const info = broker.topic(resource.resourceName);
    if (info === undefined) throw new KafkaCodeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resource.resourceName}' does not exist`);
    return describeTopicConfigs(broker.topicConfig(resource.resourceName), info.configs, broker.brokerConfigLayers());
  }
  if (resource.resourceType === ResourceType.BROKER) {
    if (!allowed(context, 'describe', 'cluster', 'kafka-cluster')) throw new KafkaCodeError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.');
    const scope = brokerScope(resource.resourceName, context.server);
    const dynamic = describeBrokerConfigs(broker.brokerConfigLayers(), scope);
    if (scope === 'default') return dynamic;
    return [...serverConfigEntries(context.server), ...dynamic].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  throw new KafkaCodeError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resource.resourceType}`);
}

function entry(config: DescribedConfig, request: api.DescribeConfigsRequest, version: number): Entry {
  return {
    ...api.defaultDescribeConfigsResourceResult(),
    name: config.name,
    value: config.value,
    readOnly: config.readOnly,
    // isDefault exists only in v0 (v1+ says it with configSource) and may not be set beyond it.
    isDefault: version === 0 ? config.source === ConfigSource.DEFAULT_CONFIG : false,
    configSource: version >= 1 ? config.source : -1,
    isSensitive: config.isSensitive,
    synonyms: version >= 1 && request.includeSynonyms ? config.synonyms.map((s) => ({ ...api.defaultDescribeConfigsSynonym(), ...s })) : [],
    configType: version >= 3 ? config.configType : 0,
    documentation: version >= 3 ? (request.includeDocumentation ? config.documentation : null) : '',
  };
}
