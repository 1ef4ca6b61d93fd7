/**
 * Every API the server advertises, at every version it advertises, over a real socket: a request
 * that makes the handler do real work (existing topic, group, records) and seeded random valid
 * requests built from Kafka's JSON schema (test/protocol/schema-values.ts). Each must be answered
 * with a frame that decodes at that version, on a connection that stays open, and no handler may
 * fail (an encoder refusing a field the version cannot carry shows up as "handler failed"). Also:
 * ApiVersions advertises exactly Kafka 3.9's ranges. Needs `npx tsc -p tsconfig.json` (dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as apiVersionsApi from '../../src/protocol/apis/api-versions.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/api-keys.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.js';
import { SCHEMAS, prng, randomStruct } from '../protocol/schema-values.js';
import { RawClient } from './helpers/raw-client.js';
import { start, type ServerProcess } from '../helpers/server-process.js';
import { meaningfulRequest, prepareSweep } from './helpers/sweep-requests.js';

const RANDOM_PER_VERSION = 6;
const SEED = Number(process.env.BROOK_SWEEP_SEED ?? 20241025);

/** Kafka 3.9's ApiVersions answer for the APIs Brook implements (kafka-broker-api-versions). */
const KAFKA_39: Record<number, [number, number]> = {
  0: [0, 11], 1: [0, 17], 2: [0, 9], 3: [0, 12], 8: [0, 9], 9: [0, 9], 10: [0, 6], 11: [0, 9], 12: [0, 4],
  13: [0, 5], 14: [0, 5], 15: [0, 5], 16: [0, 5], 17: [0, 1], 18: [0, 4], 19: [0, 7], 20: [0, 6], 21: [0, 2],
  22: [0, 5], 23: [0, 4], 29: [0, 3], 30: [0, 3], 31: [0, 3], 32: [0, 4], 33: [0, 2], 35: [0, 4], 36: [0, 2],
  37: [0, 3], 42: [0, 2], 44: [0, 1], 47: [0, 0], 50: [0, 0], 51: [0, 0], 60: [0, 1], 61: [0, 0],
};

let server: ServerProcess;
let client: RawClient;
let correlationId = 1;

beforeAll(async () => {
  server = await start({ env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
  client = await RawClient.connect(server.port);
  await prepareSweep(client);
}, 60_000);

afterAll(async () => {
  client?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

/** Sends one request; the problem with its answer, or null when it was answered properly. */
async function exchange(apiKey: number, version: number, body: unknown, what: string): Promise<string | null> {
  const id = correlationId++;
  let frame: Buffer;
  try {
    frame = Buffer.concat(encodeRequestFrame(apiKey, version, id, 'sweep', body));
  } catch (error) {
    return `${what}: the test could not encode its request (${String(error)})`;
  }
  client.writeRaw(frame);
  const answer = await client.nextFrame(60_000);
  if (answer === null) {
    client = await RawClient.connect(server.port);
    return `${what}: connection closed`;
  }
  try {
    const decoded = decodeResponseFrame(answer, apiKey, version);
    if (decoded.correlationId !== id) return `${what}: correlation id ${decoded.correlationId}, sent ${id}`;
  } catch (error) {
    return `${what}: undecodable response (${String(error)})`;
  }
  return null;
}

describe('every advertised api at every advertised version', () => {
  let advertised: apiVersionsApi.ApiVersionsResponse['apiKeys'] = [];

  it('advertises exactly Kafka 3.9 ranges for every api it implements', async () => {
    const response = await client.request<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, 3, { ...apiVersionsApi.defaultRequest(), clientSoftwareName: 'brook-test', clientSoftwareVersion: '1.0' });
    advertised = response.apiKeys;
    const ranges = Object.fromEntries(advertised.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges).toEqual(KAFKA_39);
  });

  it('answers a working request and random valid ones with a decodable response, connection kept', async () => {
    const rand = prng(SEED);
    const problems: string[] = [];
    let requestCount = 0;
    for (const { apiKey, minVersion, maxVersion } of advertised) {
      const codec = API_BY_KEY.get(apiKey)!;
      const schema = SCHEMAS.schemas[codec.API_NAME]!.request!;
      for (let version = minVersion; version <= maxVersion; version++) {
        const bodies: [string, unknown][] = [];
        const meaningful = meaningfulRequest(apiKey, version);
        if (meaningful !== undefined) bodies.push(['working request', meaningful]);
        for (let i = 0; i < RANDOM_PER_VERSION; i++) bodies.push([`random request ${i}`, tame(apiKey, randomStruct(schema.fields, version, rand))]);
        for (const [label, body] of bodies) {
          requestCount++;
          const problem = await exchange(apiKey, version, body, `${codec.API_NAME} v${version} ${label}`);
          if (problem !== null) problems.push(problem);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(requestCount).toBeGreaterThan(500);
    expect(server.stderr()).not.toMatch(/handler failed/);
  }, 600_000);
});

/**
 * Keeps random requests answerable at once: no acks=0 produce (never answered), no long-poll
 * fetch, no SASL handshake that would switch the connection to raw tokens.
 */
function tame(apiKey: number, body: Record<string, unknown>): Record<string, unknown> {
  if (apiKey === ApiKey.Produce && body.acks === 0) return { ...body, acks: 1 };
  if (apiKey === ApiKey.Fetch) return { ...body, maxWaitMs: 0, sessionId: 0 };
  if (apiKey === ApiKey.SaslHandshake) return { ...body, mechanism: 'NONE' };
  return body;
}
