/**
 * DescribeConfigs (api key 32), v0-v1. Topic resources: the effective config (Broker.topicConfig),
 * each entry marked as a topic override (DYNAMIC_TOPIC_CONFIG) or a default (DEFAULT_CONFIG; v0's
 * isDefault). Broker resource "0" (or ""): a few read-only static entries. configurationKeys
 * filters (null = all). Unknown topic -> UNKNOWN_TOPIC_OR_PARTITION, another broker id or resource
 * type -> INVALID_REQUEST, per resource.
 */
import * as api from '../../protocol/apis/describe-configs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { allowed } from '../security/session.js';
import { brokerConfigEntries, ConfigSource, isThisBroker, ResourceType } from './config-resources.js';

type Result = api.DescribeConfigsResult;
type Entry = api.DescribeConfigsResourceResult;

export const describeConfigsHandler = defineHandler<api.DescribeConfigsRequest, api.DescribeConfigsResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.DescribeConfigsResponse {
    return {
      ...api.defaultDescribeConfigsResponse(),
      results: request.resources.map((resource) => describe(resource, context)),
    };
  },
  errorResponse: () => api.defaultDescribeConfigsResponse(),
});

function describe(resource: api.DescribeConfigsResource, context: RequestContext): Result {
  const { broker } = context.server;
  const result: Result = {
    ...api.defaultDescribeConfigsResult(),
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    errorMessage: null,
  };
  const keep = (name: string): boolean => resource.configurationKeys === null || resource.configurationKeys.includes(name);
  if (resource.resourceType === ResourceType.TOPIC) {
    if (!allowed(context, 'describe', 'topic', resource.resourceName)) {
      return { ...result, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
    }
    const info = broker.topic(resource.resourceName);
    if (info === undefined) {
      return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${resource.resourceName}' does not exist` };
    }
    const effective = broker.topicConfig(resource.resourceName);
    const configs = Object.entries(effective)
      .filter(([name]) => keep(name))
      .map(([name, value]) => entry(name, value, false, name in info.configs ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG, context.apiVersion));
    return { ...result, configs };
  }
  if (resource.resourceType === ResourceType.BROKER && isThisBroker(resource.resourceName, context.server)) {
    if (!allowed(context, 'describe', 'cluster', 'kafka-cluster')) {
      return { ...result, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
    }
    const configs = Object.entries(brokerConfigEntries(context.server))
      .filter(([name]) => keep(name))
      .map(([name, value]) => entry(name, value, true, ConfigSource.STATIC_BROKER_CONFIG, context.apiVersion));
    return { ...result, configs };
  }
  return { ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `no resource of type ${resource.resourceType} named '${resource.resourceName}' on this broker` };
}

function entry(name: string, value: string, readOnly: boolean, configSource: number, version: number): Entry {
  return {
    ...api.defaultDescribeConfigsResourceResult(),
    name,
    value,
    readOnly,
    // isDefault exists only in v0 (v1+ says it with configSource) and may not be set beyond it.
    isDefault: version === 0 ? configSource === ConfigSource.DEFAULT_CONFIG : false,
    configSource,
  };
}
