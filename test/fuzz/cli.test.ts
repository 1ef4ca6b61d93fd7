/**
 * CLI fuzzing with the real `brook` binary over a temp --data-dir (dist/: run
 * `npx tsc -p tsconfig.json` first): seeded random flag combinations and values for produce,
 * consume and topics, and seeded random/mutated `--format json` input lines. Every run must exit 0,
 * or non-zero with a clear `brook: ...` line — never a stack trace or a signal. For JSON input, a
 * rejected line must leave nothing of itself (or of later lines) in the topic unless
 * --skip-invalid is given, which we check by consuming the topic afterwards.
 * The seed is printed; BROOK_FUZZ_SEED=<seed> reruns it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { brook, tempDataDir, type RunResult } from '../cli/helpers.js';
import { random, randomBytes, randomInt, type Random } from './mutate.js';

const SEED = Number(process.env.BROOK_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const FLAG_RUNS = Number(process.env.BROOK_FUZZ_CLI_RUNS ?? 36);
const JSON_RUNS = Number(process.env.BROOK_FUZZ_JSON_RUNS ?? 16);
const data = tempDataDir();

afterAll(() => data.cleanup());

const VALUES = ['0', '1', '2', '-1', '-0', 'abc', '', ' ', '1.5', '1e3', '0x10', '99999999999999999999', 'all', 'none', 'zstd', 'gzip', 'lz4', 'snappy', 'json', 'text', 'value', '-', '--', '\u221e', 'x'.repeat(300)];
const TOPICS = ['fz', 'fz', 'fz2', '', '.', '..', 'bad/name', 'sp ace', 'a'.repeat(300), '__consumer_offsets', '-x'];

const FLAGS: Record<string, string[]> = {
  produce: ['--format', '-K', '--skip-invalid', '-p', '--acks', '--compression', '--no-auto-create', '--partitions', '--linger-ms', '--batch-bytes', '--bogus'],
  consume: ['--from-beginning', '--offset', '-p', '-n', '--format', '-K', '--bogus'],
  'topics create': ['--partitions', '--config', '--bogus'],
  'topics alter': ['--partitions', '--config', '--replace', '--bogus'],
  'topics describe': ['--bogus'],
  'topics delete': [],
  'topics list': ['--bogus'],
};
const BOOLEAN_FLAGS = new Set(['--skip-invalid', '--no-auto-create', '--from-beginning', '--replace']);

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[randomInt(rng, items.length)]!;
}

function randomArgs(rng: Random): { args: string[]; input: string } {
  const command = pick(rng, Object.keys(FLAGS));
  const args = [...command.split(' ')];
  if (command !== 'topics list') args.push(pick(rng, TOPICS));
  const flagCount = randomInt(rng, 4);
  for (let i = 0; i < flagCount; i++) {
    const flag = pick(rng, FLAGS[command]!);
    if (flag === undefined) break;
    args.push(flag);
    if (flag === '--config') args.push(pick(rng, ['retention.ms=1000', 'retention.ms=-5', 'nope=1', '=', 'cleanup.policy=bogus', 'segment.bytes=1']));
    else if (!BOOLEAN_FLAGS.has(flag)) args.push(pick(rng, VALUES));
  }
  // Now and then a stray positional or a duplicated argument.
  if (rng() < 0.1) args.push(pick(rng, VALUES));
  const input = Array.from({ length: randomInt(rng, 5) }, (_, i) => `line-${i}`).join('\n');
  return { args, input };
}

/** The CLI contract for any run: exit 0, or a `brook: ...` line and a non-zero code; no trace. */
function contractProblem(args: string[], result: RunResult): string | null {
  const what = `brook ${args.map((a) => JSON.stringify(a)).join(' ')} -> code ${result.code} signal ${result.signal}\n${result.stderr.slice(0, 1500)}`;
  if (result.signal !== null) return `killed by a signal: ${what}`;
  if (/^\s+at .+/m.test(result.stderr)) return `stack trace: ${what}`;
  if (result.code !== 0 && !/^brook: \S.*$/m.test(result.stderr)) return `non-zero exit without a brook: message: ${what}`;
  return null;
}

function jsonLine(rng: Random, marker: string): string {
  const record: Record<string, unknown> = { value: marker };
  if (rng() < 0.5) record.key = `k${randomInt(rng, 10)}`;
  if (rng() < 0.3) record.headers = { source: 'fuzz' };
  return JSON.stringify(record);
}

/** A mutated or hostile JSON line; it may or may not be acceptable. */
function badLine(rng: Random, valid: string): string {
  switch (randomInt(rng, 8)) {
    case 0: {
      const at = randomInt(rng, valid.length);
      return valid.slice(0, at) + valid.slice(at + 1);
    }
    case 1: {
      const at = randomInt(rng, valid.length);
      return valid.slice(0, at) + pick(rng, ['{', '}', '"', ',', ':', '\\', '\u0000', 'null']) + valid.slice(at);
    }
    case 2:
      return pick(rng, ['[1,2]', '"just a string"', '42', 'null', 'true', '{}', '{"value":5}', '{"value":{"a":1}}', '{"key":[1]}', '{"headers":[1,2]}', '{"headers":{"h":5}}']);
    case 3:
      return JSON.stringify({ value: 'p', partition: pick(rng, [-1, 1.5, 99, 2 ** 31, '0', null]) });
    case 4:
      return '['.repeat(5000) + ']'.repeat(5000);
    case 5:
      return randomBytes(rng, 1 + randomInt(rng, 40)).toString('latin1').replace(/\n/g, ' ');
    case 6:
      return valid.slice(0, randomInt(rng, valid.length));
    default:
      return `${valid} trailing`;
  }
}

async function consumedValues(topic: string): Promise<string[]> {
  const result = await brook(['-d', data.dir, 'consume', topic, '--from-beginning', '--format', 'json']);
  expect(contractProblem(['consume', topic], result)).toBeNull();
  if (result.code !== 0) return [];
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => String((JSON.parse(line) as { value: unknown }).value));
}

describe(`CLI fuzz (seed ${SEED})`, () => {
  it('exits 0 or with a one-line brook: message on random flags and values, never a stack trace', async () => {
    console.log(`CLI fuzz seed ${SEED} (rerun: BROOK_FUZZ_SEED=${SEED})`);
    const rng = random(SEED);
    const problems: string[] = [];
    const codes: Record<string, number> = {};
    for (let run = 0; run < FLAG_RUNS; run++) {
      const { args, input } = randomArgs(rng);
      const result = await brook(['-d', data.dir, ...args], { input });
      codes[String(result.code)] = (codes[String(result.code)] ?? 0) + 1;
      const problem = contractProblem(args, result);
      if (problem !== null) problems.push(problem);
    }
    console.log(`CLI fuzz: ${FLAG_RUNS} flag runs, exit codes ${JSON.stringify(codes)}`);
    expect(problems).toEqual([]);
  }, 120_000);

  it('writes nothing from a rejected JSON line (nor after it) unless --skip-invalid, which writes every good line', async () => {
    const rng = random(SEED ^ 0x5eed);
    const problems: string[] = [];
    let rejected = 0;
    for (let run = 0; run < JSON_RUNS; run++) {
      const topic = `json-fuzz-${run}`;
      const skipInvalid = run % 2 === 1;
      const good = Array.from({ length: 2 + randomInt(rng, 4) }, (_, i) => `m${run}-${i}`);
      const badAt = randomInt(rng, good.length + 1);
      const lines = good.map((marker) => jsonLine(rng, marker));
      const bad = badLine(rng, jsonLine(rng, `BAD${run}`));
      lines.splice(badAt, 0, bad);
      const args = ['-d', data.dir, 'produce', topic, '--format', 'json', ...(skipInvalid ? ['--skip-invalid'] : [])];
      const result = await brook(args, { input: lines.join('\n') + '\n' });
      const problem = contractProblem(args.slice(2), result);
      if (problem !== null) {
        problems.push(`${problem}\ninput: ${JSON.stringify(lines).slice(0, 400)}`);
        continue;
      }
      const values = await consumedValues(topic);
      // The odd line's value is whatever survived the mutation (a deleted character can turn
      // "BAD2" into "AD2"), so anything that is not one of the good markers is the odd line.
      const goodValues = values.filter((value) => good.includes(value));
      const accepted = values.length > goodValues.length;
      if (!accepted) rejected++;
      // Good lines are always written in order: all of them with --skip-invalid or when the odd
      // line was accepted; otherwise exactly those before the rejected line.
      const expected = skipInvalid || (result.code === 0 && accepted) ? good : good.slice(0, badAt);
      if (result.code === 0 && !skipInvalid && !accepted && bad.trim() !== '') {
        problems.push(`exit 0 although line ${badAt} was not written: ${JSON.stringify(lines).slice(0, 400)}`);
      }
      if (JSON.stringify(goodValues) !== JSON.stringify(expected)) {
        problems.push(`topic ${topic} holds ${JSON.stringify(values)}, expected ${JSON.stringify(expected)} (skipInvalid ${skipInvalid}, code ${result.code}, input ${JSON.stringify(lines).slice(0, 400)})`);
      }
    }
    console.log(`CLI JSON fuzz: ${JSON_RUNS} produce runs (+${JSON_RUNS} consume runs), ${rejected} odd lines rejected`);
    expect(problems).toEqual([]);
  }, 120_000);
});
