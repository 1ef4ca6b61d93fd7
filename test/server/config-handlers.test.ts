/**
 * The config handlers (DescribeConfigs, CreateTopics' configs, AlterConfigs,
 * IncrementalAlterConfigs) at every version their codecs can encode, flexible ones included, with
 * a real in-process Broker: each answer must encode at its version (a field a version lacks left at
 * its default) and decode back with what that version carries. The server advertises fewer versions
 * today; this is what lets more be advertised without touching the handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import * as alterApi from '../../src/protocol/apis/alter-configs.js';
import * as createApi from '../../src/protocol/apis/create-topics.js';
import * as describeApi from '../../src/protocol/apis/describe-configs.js';
import * as incrementalApi from '../../src/protocol/apis/incremental-alter-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { alterConfigsHandler } from '../../src/server/handlers/alter-configs.js';
import { createTopicsHandler } from '../../src/server/handlers/create-topics.js';
import { describeConfigsHandler } from '../../src/server/handlers/describe-configs.js';
import { incrementalAlterConfigsHandler } from '../../src/server/handlers/incremental-alter-configs.js';
import type { RequestContext, ServerContext } from '../../src/server/handler.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker;
let server: ServerContext;

beforeAll(async () => {
  broker = await Broker.open({ dataDir: tempDir('brook-config-handlers-'), groups: false });
  server = { broker, registry: undefined as never, advertisedHost: '127.0.0.1', advertisedPort: 9092, autoCreateTopics: false, numPartitions: 1 };
});

afterAll(async () => {
  await broker?.close();
});

const at = (apiVersion: number): RequestContext => ({ server, apiVersion, correlationId: 1, clientId: 'test' });

function roundTrip<T>(codec: { encodeResponse(w: Writer, v: number, b: T): void; decodeResponse(r: Reader, v: number): T }, version: number, body: T): T {
  const writer = new Writer(256);
  codec.encodeResponse(writer, version, body);
  return codec.decodeResponse(new Reader(writer.toBuffer()), version);
}

const versions = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('config handlers at every codec version', () => {
  it.each(versions(createApi.CODEC_MIN_VERSION, createApi.CODEC_MAX_VERSION))('CreateTopics v%i', async (version) => {
    const name = `created-v${version}`;
    const request = { ...createApi.defaultRequest(), topics: [{ ...createApi.defaultCreatableTopic(), name, numPartitions: 2, replicationFactor: 1,
      configs: [{ name: 'retention.ms', value: '1000' }] }] };
    const decoded = roundTrip(createApi, version, (await createTopicsHandler.handle(request, at(version)))!);
    const topic = decoded.topics[0]!;
    expect(topic.errorCode).toBe(ErrorCode.NONE);
    if (version >= 5) {
      expect([topic.numPartitions, topic.replicationFactor]).toEqual([2, 1]);
      expect(topic.configs!.length).toBe(36);
      expect(topic.configs!.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1, readOnly: false });
    } else {
      expect(topic.configs).toEqual([]);
    }
  });

  it.each(versions(describeApi.CODEC_MIN_VERSION, describeApi.CODEC_MAX_VERSION))('DescribeConfigs v%i', async (version) => {
    const request = { ...describeApi.defaultRequest(), includeSynonyms: true, includeDocumentation: true,
      resources: [{ resourceType: 2, resourceName: 'created-v0', configurationKeys: ['retention.ms', 'segment.bytes'] }, { resourceType: 4, resourceName: '0', configurationKeys: null }] };
    const decoded = roundTrip(describeApi, version, (await describeConfigsHandler.handle(request, at(version)))!);
    const [topic, brokerResult] = decoded.results;
    expect(topic!.configs.map((c) => [c.name, c.value])).toEqual([['retention.ms', '1000'], ['segment.bytes', '1073741824']]);
    const segmentBytes = topic!.configs[1]!;
    expect(segmentBytes.isDefault).toBe(version === 0);
    expect(segmentBytes.configSource).toBe(version >= 1 ? 5 : -1);
    expect(segmentBytes.synonyms.length).toBe(version >= 1 ? 1 : 0);
    expect(segmentBytes.configType).toBe(version >= 3 ? 3 : 0);
    expect(segmentBytes.documentation).toEqual(version >= 3 ? expect.stringContaining('segment') : '');
    expect(brokerResult!.configs.find((c) => c.name === 'node.id')!.readOnly).toBe(true);
    expect(brokerResult!.configs.find((c) => c.name === 'log.retention.ms')!.readOnly).toBe(false);
  });

  it.each(versions(alterApi.CODEC_MIN_VERSION, alterApi.CODEC_MAX_VERSION))('AlterConfigs v%i', async (version) => {
    const request = { ...alterApi.defaultRequest(), resources: [
      { resourceType: 2, resourceName: 'created-v1', configs: [{ name: 'segment.ms', value: String(1000 + version) }] },
      { resourceType: 2, resourceName: 'created-v1', configs: [{ name: 'segment.ms', value: '0' }] },
      { resourceType: 4, resourceName: '0', configs: [{ name: 'log.cleaner.threads', value: '2' }] },
    ] };
    const decoded = roundTrip(alterApi, version, (await alterConfigsHandler.handle(request, at(version)))!);
    expect(decoded.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_CONFIG, ErrorCode.NONE]);
    expect(broker.topicConfig('created-v1')['segment.ms']).toBe(String(1000 + version));
  });

  it.each(versions(incrementalApi.CODEC_MIN_VERSION, incrementalApi.CODEC_MAX_VERSION))('IncrementalAlterConfigs v%i', async (version) => {
    const request = { ...incrementalApi.defaultRequest(), resources: [
      { resourceType: 2, resourceName: 'created-v2', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }] },
      { resourceType: 2, resourceName: 'created-v2', configs: [{ name: 'retention.ms', configOperation: 2, value: '5' }] },
      { resourceType: 4, resourceName: '', configs: [{ name: 'log.cleaner.delete.retention.ms', configOperation: 0, value: String(60_000 + version) }] },
    ] };
    const decoded = roundTrip(incrementalApi, version, (await incrementalAlterConfigsHandler.handle(request, at(version)))!);
    expect(decoded.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_CONFIG, ErrorCode.NONE]);
    expect(broker.topicConfig('created-v2')['cleanup.policy']).toBe('delete,compact');
    expect(broker.topicConfig('created-v5')['delete.retention.ms']).toBe(String(60_000 + version)); // no override: the cluster default
  });
});
