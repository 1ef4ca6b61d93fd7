/**
 * Ring throughput between two threads (main thread producing with waitAsync backpressure, a worker
 * consuming with Atomics.wait, as the produce path does) for 100 B, 1 KiB and 64 KiB frames,
 * beside the baseline measured in the same run: postMessage of the same buffers (structured clone
 * copy) to a worker that counts them. The ratio is the figure that matters.
 * Run: `node dist/bench/micro/ring.bench.js` (after tsc); `run()` returns plain objects.
 */
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/engine/ring.js';

export interface RingBenchResult {
  frameBytes: number;
  frameCount: number;
  ringFramesPerSec: number;
  ringGigabytesPerSec: number;
  postMessageFramesPerSec: number;
  postMessageGigabytesPerSec: number;
  ratio: number;
}

const RING_BYTES = 8 * 1024 * 1024;

type PeerData = { role: 'ring'; sab: SharedArrayBuffer; frameCount: number } | { role: 'postMessage'; frameCount: number };

function peer(data: PeerData): void {
  const port = parentPort!;
  if (data.role === 'ring') {
    const ring = new RingConsumer(data.sab);
    let received = 0;
    let checksum = 0;
    while (received < data.frameCount) {
      let frame = ring.next();
      if (frame === null) {
        ring.waitForFrames(1000);
        continue;
      }
      for (; frame !== null; frame = ring.next()) {
        checksum = (checksum + frame.payload[0]!) | 0; // touch the bytes
        received++;
      }
      ring.release();
    }
    port.postMessage({ received, checksum });
  } else {
    let received = 0;
    port.on('message', (buf: Uint8Array) => {
      if (buf.byteLength >= 0 && ++received === data.frameCount) {
        port.postMessage({ received });
        port.close();
      }
    });
  }
}

function startPeer(data: PeerData): { worker: Worker; done: Promise<unknown> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { benchPeer: data } });
  const done = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, done };
}

async function ringRun(frameBytes: number, frameCount: number): Promise<number> {
  const sab = createRingBuffer(RING_BYTES);
  const { worker, done } = startPeer({ role: 'ring', sab, frameCount });
  const producer = new RingProducer(sab);
  const payload = new Uint8Array(frameBytes).fill(7);
  await new Promise((resolve) => worker.once('online', resolve));
  const start = process.hrtime.bigint();
  for (let i = 0; i < frameCount; i++) {
    let view = producer.tryReserve(frameBytes);
    while (view === null) {
      await producer.waitForSpace();
      view = producer.tryReserve(frameBytes);
    }
    view.set(payload);
    producer.commit(i);
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await worker.terminate();
  return seconds;
}

async function postMessageRun(frameBytes: number, frameCount: number): Promise<number> {
  const { worker, done } = startPeer({ role: 'postMessage', frameCount });
  const payload = new Uint8Array(frameBytes).fill(7);
  await new Promise((resolve) => worker.once('online', resolve));
  const start = process.hrtime.bigint();
  // In chunks, yielding between them, so the queue (and memory) stays bounded as a real sender's would.
  for (let i = 0; i < frameCount; i++) {
    worker.postMessage(payload);
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await worker.terminate();
  return seconds;
}

export function machine() {
  return { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version };
}

export async function run(options: { quick?: boolean } = {}): Promise<{ machine: ReturnType<typeof machine>; results: RingBenchResult[] }> {
  const totalBytes = (options.quick ? 32 : 256) * 1024 * 1024;
  const results: RingBenchResult[] = [];
  for (const frameBytes of [100, 1024, 64 * 1024]) {
    const frameCount = Math.min(Math.floor(totalBytes / frameBytes), options.quick ? 200_000 : 1_000_000);
    const ringSeconds = await ringRun(frameBytes, frameCount);
    const postSeconds = await postMessageRun(frameBytes, frameCount);
    const rate = (seconds: number) => frameCount / seconds;
    const gbps = (seconds: number) => (frameCount * frameBytes) / seconds / 1e9;
    results.push({
      frameBytes,
      frameCount,
      ringFramesPerSec: Math.round(rate(ringSeconds)),
      ringGigabytesPerSec: Number(gbps(ringSeconds).toFixed(3)),
      postMessageFramesPerSec: Math.round(rate(postSeconds)),
      postMessageGigabytesPerSec: Number(gbps(postSeconds).toFixed(3)),
      ratio: Number((postSeconds / ringSeconds).toFixed(2)),
    });
  }
  return { machine: machine(), results };
}

if (!isMainThread && (workerData as { benchPeer?: PeerData } | null)?.benchPeer) {
  peer((workerData as { benchPeer: PeerData }).benchPeer);
} else if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await run({ quick: process.argv.includes('--quick') });
  const m = out.machine;
  process.stdout.write(`ring vs postMessage — ${m.cores} cores, ${m.cpu}, Node ${m.node}\n`);
  for (const r of out.results) {
    process.stdout.write(
      `${String(r.frameBytes).padStart(6)} B frames x ${r.frameCount}: ring ${r.ringFramesPerSec.toLocaleString()} frames/s (${r.ringGigabytesPerSec} GB/s), ` +
        `postMessage ${r.postMessageFramesPerSec.toLocaleString()} frames/s (${r.postMessageGigabytesPerSec} GB/s), ring/postMessage ${r.ratio}x\n`,
    );
  }
}
