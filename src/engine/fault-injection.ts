/**
 * Fault injection for the engine's workers (tests only; Redpanda's "honey badger" in spirit).
 *
 * A FaultSpec travels in workerData; a worker that gets one opens its logs through a seeded
 * FaultyIo (storage/faulty-io.ts) instead of nodeIo, and then obeys `faults` control messages that
 * arm or clear faults at runtime. Without a spec the worker uses nodeIo directly: nothing of this
 * module sits on the produce path when faults are off.
 *
 * Every worker's FaultyIo gets its own seed derived from the spec's seed and the worker's name, so
 * a run is reproducible from one number (BROOK_SIM_SEED in test/sim/).
 */
import { FaultyIo, type FaultCode, type FaultOp, type FaultyIoOptions } from '../storage/faulty-io.js';
import { nodeIo, type FileIo } from '../storage/io.js';

export type { FaultCode, FaultOp } from '../storage/faulty-io.js';

/**
 * What a broker's workers start with: FaultyIo's options as plain data (it crosses thread
 * boundaries and an env var, so the path filter is a substring instead of a function).
 */
export interface FaultSpec extends Omit<FaultyIoOptions, 'pathFilter'> {
  /** Only files whose path contains this substring get faults. */
  pathIncludes?: string;
  /** Which workers get a FaultyIo (default both). */
  scope?: 'partitions' | 'coordinators' | 'all';
}

/** Runtime commands, sent as `{ type: 'faults', command }` to a worker started with a FaultSpec. */
export type FaultCommand =
  /** Fail the `afterCalls`-th next `op` call (0 = the very next). */
  | { op: 'failNext'; fault: FaultOp; code: FaultCode; afterCalls: number }
  /** Change the random rates and latency from now on (fields left out keep their value). */
  | { op: 'set'; writeFailRate?: number; fsyncFailRate?: number; latencyMs?: number; errorCode?: FaultCode; tornWrites?: boolean }
  /** Stop every fault, queued and random, until `enable`. */
  | { op: 'disable' }
  | { op: 'enable' }
  /** Answers the FaultyIo's call counts. */
  | { op: 'counts' };

export interface FaultCounts {
  write: number;
  fsync: number;
  injected: number;
}

/** The mutable options object a FaultyIo reads on every call (it keeps a reference to it). */
type LiveOptions = ConstructorParameters<typeof FaultyIo>[1];

/** A worker's fault injector: its FileIo and the commands it obeys. One per worker thread. */
export class WorkerFaults {
  readonly io: FaultyIo;
  private readonly options: LiveOptions;

  constructor(spec: FaultSpec, workerName: string, inner: FileIo = nodeIo) {
    const pathIncludes = spec.pathIncludes;
    this.options = {
      seed: deriveSeed(spec.seed, workerName),
      writeFailRate: spec.writeFailRate,
      fsyncFailRate: spec.fsyncFailRate,
      tornWrites: spec.tornWrites,
      errorCode: spec.errorCode,
      latencyMs: spec.latencyMs,
      pathFilter: pathIncludes === undefined ? undefined : (p) => p.includes(pathIncludes),
    };
    this.io = new FaultyIo(inner, this.options);
  }

  apply(command: FaultCommand): FaultCounts | undefined {
    switch (command.op) {
      case 'failNext':
        this.io.failNext(command.fault, command.code, command.afterCalls);
        return undefined;
      case 'set':
        // FaultyIo reads its options object on each call, so changing it here takes effect at once.
        if (command.writeFailRate !== undefined) this.options.writeFailRate = command.writeFailRate;
        if (command.fsyncFailRate !== undefined) this.options.fsyncFailRate = command.fsyncFailRate;
        if (command.latencyMs !== undefined) this.options.latencyMs = command.latencyMs;
        if (command.errorCode !== undefined) this.options.errorCode = command.errorCode;
        if (command.tornWrites !== undefined) this.options.tornWrites = command.tornWrites;
        return undefined;
      case 'disable':
        this.io.disableFaults();
        return undefined;
      case 'enable':
        this.io.enableFaults();
        return undefined;
      case 'counts':
        return { ...this.io.counts };
    }
  }
}

/** The worker's fault injector, or null when this kind of worker runs without faults. */
export function workerFaultsFor(spec: FaultSpec | undefined, kind: 'partitions' | 'coordinators', workerName: string): WorkerFaults | null {
  if (spec === undefined) return null;
  const scope = spec.scope ?? 'all';
  if (scope !== 'all' && scope !== kind) return null;
  return new WorkerFaults(spec, workerName);
}

/** FNV-1a of the name mixed into the seed: distinct, reproducible streams per worker. */
function deriveSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0 || 1;
}

/** Environment variable the server entry reads: a FaultSpec as JSON (process-level tests). */
export const FAULTS_ENV = 'BROOK_FAULTS';

/** Parses BROOK_FAULTS; undefined when unset. A malformed value is an error, not silently ignored. */
export function faultSpecFromEnv(env: NodeJS.ProcessEnv = process.env): FaultSpec | undefined {
  const raw = env[FAULTS_ENV];
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${FAULTS_ENV} is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as FaultSpec).seed !== 'number') {
    throw new Error(`${FAULTS_ENV} must be a JSON object with a numeric "seed"`);
  }
  return parsed as FaultSpec;
}
