/**
 * HTTP NDJSON ingest against the Kafka protocol path, the same records into the same `brook serve`:
 *   http:     POST /topics/{topic} with application/x-ndjson bodies of ~1,000 records (~135 KB,
 *             under max.message.bytes), `concurrency` requests in flight (node:http with a
 *             keep-alive agent; HTTP_CLIENT=fetch for undici's fetch, which costs the client
 *             about twice the CPU per request);
 *             each answered once its records are acknowledged (every line is parsed as JSON);
 *   baseline: the same lines through Brook's Kafka client (NetworkBackend + the embedded
 *             producer, Produce requests, acks=all), all bodies handed over at once.
 * Both clients run in this process, one after the other; rounds alternate; medians of MB/s and
 * records/s; the ratio is http / kafka. A text/plain row (no JSON parse per line) is printed too.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/macro/http-ingest.js [records] [rounds]`.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { Producer } from '../../src/embedded/producer.js';
import { spread, startBrookServe } from '../../src/bench-lib/log-inputs.js';
import { describeMachine, machineInfo, median } from '../../src/bench-lib/stats.js';

const LINES_PER_BODY = 1000;

function makeBodies(recordCount: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let start = 0; start < recordCount; start += LINES_PER_BODY) {
    let text = '';
    for (let i = start; i < Math.min(recordCount, start + LINES_PER_BODY); i++) {
      text += `{"ts":"2024-05-01T12:00:00.${String(i % 1000).padStart(3, '0')}Z","app":"web","level":"info","n":${i},"msg":"request handled in 12 ms","path":"/api/v1/items/${i}"}\n`;
    }
    bodies.push(Buffer.from(text));
  }
  return bodies;
}

/** One POST; resolves once the answer is read whole. node:http with a keep-alive agent, or fetch. */
type Post = (url: string, body: Buffer, contentType: string) => Promise<void>;

function nodeHttpPost(agent: http.Agent): Post {
  return (url, body, contentType) => new Promise<void>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString()}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const fetchPost: Post = async (url, body, contentType) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
};

async function httpRound(post: Post, url: string, topic: string, bodies: Buffer[], contentType: string, concurrency: number): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) await post(`${url}/topics/${topic}`, bodies[next++]!, contentType);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function kafkaRound(kafka: string, topic: string, bodies: Buffer[]): Promise<number> {
  const backend = await NetworkBackend.connect(kafka);
  const producer = new Producer(backend);
  try {
    const started = process.hrtime.bigint();
    const results = await Promise.all(bodies.map((body) => producer.sendLines(topic, body)));
    const failed = results.find((r) => r.error !== null);
    if (failed !== undefined) throw failed.error;
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await producer.close();
    await backend.close();
  }
}

export async function run(recordCount = 500_000, rounds = 3, concurrency = Number(process.env.HTTP_CONCURRENCY ?? 16), client = process.env.HTTP_CLIENT ?? 'node:http'): Promise<void> {
  if (client !== 'node:http' && client !== 'fetch') throw new Error(`HTTP_CLIENT must be node:http or fetch, not '${client}'`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = client === 'fetch' ? fetchPost : nodeHttpPost(agent);
  console.log(`HTTP ingest vs Kafka protocol, ${recordCount.toLocaleString('en-US')} records; ${describeMachine(machineInfo())}`);
  const bodies = makeBodies(recordCount);
  const totalBytes = bodies.reduce((sum, body) => sum + body.length, 0);
  console.log(`${bodies.length} bodies, ${(totalBytes / 1e6).toFixed(0)} MB, ${(totalBytes / recordCount).toFixed(0)} bytes per record, ${concurrency} HTTP requests in flight (${client})`);
  const serve = await startBrookServe(['--http', '127.0.0.1:0']);
  const seconds = { ndjson: [] as number[], text: [] as number[], kafka: [] as number[] };
  try {
    for (let round = 0; round < rounds; round++) {
      seconds.ndjson.push(await httpRound(post, serve.http!, `ndjson-${round}`, bodies, 'application/x-ndjson', concurrency));
      seconds.kafka.push(await kafkaRound(serve.kafka, `kafka-${round}`, bodies));
      seconds.text.push(await httpRound(post, serve.http!, `text-${round}`, bodies, 'text/plain', concurrency));
      console.log(`round ${round + 1}: ndjson ${seconds.ndjson.at(-1)!.toFixed(2)} s, kafka ${seconds.kafka.at(-1)!.toFixed(2)} s, text ${seconds.text.at(-1)!.toFixed(2)} s`);
    }
  } finally {
    agent.destroy();
    await serve.stop();
  }
  const rate = (s: number[]): number[] => s.map((x) => recordCount / x);
  const mb = (s: number[]): number => totalBytes / 1e6 / median(s);
  console.log(`HTTP NDJSON:     ${mb(seconds.ndjson).toFixed(1)} MB/s, ${spread(rate(seconds.ndjson))} records/s`);
  console.log(`HTTP text/plain: ${mb(seconds.text).toFixed(1)} MB/s, ${spread(rate(seconds.text))} records/s`);
  console.log(`Kafka protocol:  ${mb(seconds.kafka).toFixed(1)} MB/s, ${spread(rate(seconds.kafka))} records/s`);
  console.log(`ratio NDJSON / Kafka: ${(median(seconds.kafka) / median(seconds.ndjson)).toFixed(2)}; text / Kafka: ${(median(seconds.kafka) / median(seconds.text)).toFixed(2)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(Number(process.argv[2] ?? 500_000), Number(process.argv[3] ?? 3));
}
