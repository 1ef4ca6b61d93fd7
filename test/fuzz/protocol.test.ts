/**
 * Protocol fuzzing over a real socket against a real server process (dist/: run
 * `npx tsc -p tsconfig.json` first). For EVERY api key the server advertises through ApiVersions,
 * at every advertised version: the valid request built from the codec's defaults, then seeded
 * mutations of it — bit flips, truncations, int16/int32/varint length fields overwritten with huge
 * or negative values, random tails, random bodies behind a valid header. Each frame must get a
 * decodable response with its own correlation id, or a closed connection (then we reconnect), or —
 * only for Produce (acks=0 is never answered) — no answer. A valid ApiVersions "sentinel" sent
 * right behind each frame tells "not answered" from "slow" without waiting on timers. Afterwards a
 * normal client still produces and fetches, and RSS is back near where it was.
 * Test/bad-input.test.ts covers size prefixes and a few random frames; this goes per API/version.
 * The seed is printed; BROOK_FUZZ_SEED=<seed> reruns it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as apiVersionsApi from '../../src/protocol/apis/api-versions.js';
import * as createTopicsApi from '../../src/protocol/apis/create-topics.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/api-keys.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../server/helpers/raw-client.js';
import { rssBytes, startServer, type ServerProcess } from '../helpers/server-process.js';
import { mutations, random, type Random } from './mutate.js';

const SEED = Number(process.env.BROOK_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const MUTATIONS_PER_VERSION = Number(process.env.BROOK_FUZZ_MUTATIONS ?? 40);
/** A frame may long-poll (Fetch maxWaitMs up to 60 s, JoinGroup rebalance) — cut it after this. */
const FRAME_WAIT_MS = 4000;
const MiB = 1024 * 1024;
const SENTINEL_VERSION = 0;
/** APIs whose requests may legitimately wait on the broker (long-poll, rebalance). */
const MAY_WAIT = new Set<number>([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Produce]);
/** After SaslHandshake v0 a connection speaks bare tokens: no sentinel, a fresh connection each. */
const NO_SENTINEL = new Set<number>([ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

let server: ServerProcess;
let client: RawClient;

beforeAll(async () => {
  console.log(`protocol fuzz seed ${SEED} (rerun: BROOK_FUZZ_SEED=${SEED})`);
  server = await startServer(undefined, ['--no-auto-create-topics']);
  client = await RawClient.connect(server.port);
}, 30_000);

afterAll(async () => {
  client?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
}, 30_000);

type Outcome = 'answered' | 'closed' | 'unanswered' | 'waited';
let correlationId = 1_000;

function withSize(frame: Buffer): Buffer {
  const out = Buffer.alloc(4 + frame.length);
  out.writeInt32BE(frame.length, 0);
  frame.copy(out, 4);
  return out;
}

/** Sends one frame (no size prefix) with its correlation id at bytes 4..8; classifies the reply. */
async function sendFuzzFrame(apiKey: number, apiVersion: number, frame: Buffer): Promise<{ outcome: Outcome; problem?: string }> {
  const id = frame.length >= 8 ? frame.readInt32BE(4) : -1;
  const sentinel = NO_SENTINEL.has(apiKey) ? null : correlationId++;
  if (client.closed || NO_SENTINEL.has(apiKey)) {
    client.close();
    client = await RawClient.connect(server.port);
  }
  client.writeRaw(withSize(frame));
  if (sentinel !== null) client.writeRaw(Buffer.concat(encodeRequestFrame(ApiKey.ApiVersions, SENTINEL_VERSION, sentinel, 'sentinel', apiVersionsApi.defaultRequest())));
  let first: Buffer | null;
  try {
    first = await client.nextFrame(FRAME_WAIT_MS);
  } catch {
    client.close();
    client = await RawClient.connect(server.port);
    return MAY_WAIT.has(apiKey) ? { outcome: 'waited' } : { outcome: 'waited', problem: `api ${apiKey} v${apiVersion}: no answer and no close within ${FRAME_WAIT_MS} ms` };
  }
  if (first === null) return { outcome: 'closed' };
  const firstId = first.readInt32BE(0);
  if (sentinel !== null && firstId === sentinel) {
    // The fuzz frame got no answer at all: only Produce (acks=0) may do that.
    if (apiKey !== ApiKey.Produce) return { outcome: 'unanswered', problem: `api ${apiKey} v${apiVersion}: skipped without an answer` };
    return { outcome: 'unanswered' };
  }
  if (firstId !== id) return { outcome: 'answered', problem: `api ${apiKey} v${apiVersion}: correlation ${firstId}, sent ${id}` };
  try {
    decodeResponseFrame(first, apiKey, apiVersion);
  } catch (error) {
    return { outcome: 'answered', problem: `api ${apiKey} v${apiVersion}: undecodable response (${String(error)}) to ${frame.toString('hex').slice(0, 200)}` };
  }
  if (sentinel !== null) {
    const second = await client.nextFrame(FRAME_WAIT_MS).catch(() => null);
    if (second !== null && second.readInt32BE(0) !== sentinel) return { outcome: 'answered', problem: `api ${apiKey} v${apiVersion}: sentinel answered out of order` };
  }
  return { outcome: 'answered' };
}

async function normalClientWorks(): Promise<void> {
  const fresh = await RawClient.connect(server.port);
  try {
    const value = Buffer.from(`after fuzz ${SEED}`);
    const produced = await fresh.request<produceApi.ProduceResponse>(ApiKey.Produce, 7, {
      ...produceApi.defaultRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'fuzz-check', partitionData: [{ index: 0, records: encodeRecordBatch([{ value }]) }] }],
    });
    const partition = produced.responses[0]!.partitionResponses[0]!;
    expect(partition.errorCode).toBe(0);
    const fetched = await fresh.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, {
      ...fetchApi.defaultRequest(),
      maxBytes: MiB,
      topics: [{ ...fetchApi.defaultFetchTopic(), topic: 'fuzz-check', partitions: [{ ...fetchApi.defaultFetchPartition(), partition: 0, fetchOffset: partition.baseOffset, partitionMaxBytes: MiB }] }],
    });
    const records = fetched.responses[0]!.partitions[0]!.records!;
    expect(records.includes(value)).toBe(true);
  } finally {
    fresh.close();
  }
}

describe(`protocol fuzz over a real socket (seed ${SEED})`, () => {
  let rssBefore = 0;
  let advertised: apiVersionsApi.ApiVersionsResponse['apiKeys'] = [];

  it('reads the advertised APIs and serves a normal client first', async () => {
    const versions = await client.request<apiVersionsApi.ApiVersionsResponse>(ApiKey.ApiVersions, 3, { ...apiVersionsApi.defaultRequest(), clientSoftwareName: 'brook-test', clientSoftwareVersion: '1.0' });
    advertised = versions.apiKeys;
    expect(advertised.length).toBeGreaterThan(10);
    const created = await client.request<createTopicsApi.CreateTopicsResponse>(ApiKey.CreateTopics, 3, {
      ...createTopicsApi.defaultRequest(),
      topics: [{ ...createTopicsApi.defaultCreatableTopic(), name: 'fuzz-check', numPartitions: 1, replicationFactor: 1 }],
    });
    expect(created.topics[0]!.errorCode).toBe(0);
    await normalClientWorks();
    rssBefore = rssBytes(server.pid);
  });

  it('answers or closes on every valid and mutated frame of every advertised api version, and never dies', async () => {
    const rng: Random = random(SEED);
    const counts: Record<Outcome, number> = { answered: 0, closed: 0, unanswered: 0, waited: 0 };
    const problems: string[] = [];
    let frameCount = 0;
    let versionCount = 0;
    for (const { apiKey, minVersion, maxVersion } of advertised) {
      const codec = API_BY_KEY.get(apiKey);
      expect(codec, `advertised api ${apiKey} has a codec`).toBeDefined();
      for (let version = minVersion; version <= maxVersion; version++) {
        versionCount++;
        const valid = Buffer.concat(encodeRequestFrame(apiKey, version, correlationId++, 'fuzz', codec!.defaultRequest())).subarray(4);
        const frames = [valid, ...mutations(valid, rng, MUTATIONS_PER_VERSION)];
        for (const frame of frames) {
          if (frame.length >= 8) frame.writeInt32BE(correlationId++, 4);
          const { outcome, problem } = await sendFuzzFrame(apiKey, version, frame);
          frameCount++;
          counts[outcome]++;
          if (problem !== undefined) problems.push(problem);
          expect(server.child.exitCode, `server died on api ${apiKey} v${version}: ${server.stderr().slice(-2000)}`).toBeNull();
        }
      }
    }
    console.log(`protocol fuzz: ${frameCount} frames over ${advertised.length} apis / ${versionCount} versions: ${JSON.stringify(counts)}`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(frameCount).toBeGreaterThan(1000);
  }, 600_000);

  it('still serves produce and fetch afterwards, with RSS back near where it was', async () => {
    await normalClientWorks();
    client.close();
    // Give the cut connections' timers and a GC a moment.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rssAfter = rssBytes(server.pid);
    console.log(`protocol fuzz RSS: before ${(rssBefore / MiB).toFixed(0)} MiB, after ${(rssAfter / MiB).toFixed(0)} MiB`);
    expect(rssAfter).toBeLessThan(rssBefore + 64 * MiB);
  }, 30_000);
});
