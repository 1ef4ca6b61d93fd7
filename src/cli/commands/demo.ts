/**
 * `brook demo`: the README's first command. Creates a topic in a fresh data dir, pipes generated
 * application log lines through the same code as `brook produce --key-separator`, reads them back
 * with the code of `brook consume`, checks per-key order, and prints what happened plus the
 * commands to try next. Quick (a few seconds) and touches nothing outside its data dir.
 */
import { Command } from 'commander';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Admin } from '../../embedded/admin.js';
import { action, EXIT_FAILURE, EXIT_OK, parsePositiveInteger } from '../context.js';
import { printTable } from './topics.js';
import { formatBytes } from '../throughput.js';
import { partitionForKey } from '../../protocol/partitioner.js';

const TOPIC = 'app-logs';
/** Two services per partition of the 3-partition topic (murmur2, as Kafka's Java client places keys). */
const SERVICES = ['cart', 'orders', 'checkout', 'auth', 'payments', 'search'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];

export function demoCommand(): Command {
  return new Command('demo')
    .description('a one-minute tour: produce log lines to a topic, read them back, show the result')
    .option('--lines <n>', 'how many log lines to generate', parsePositiveInteger, 10_000)
    .addHelpText('after', '\nUses a new temporary data dir unless --data-dir (or BROOK_DATA_DIR) is given.')
    .action(action(async (ctx, opts: { lines: number }, command: Command) => {
      const explicitDir = command.getOptionValueSourceWithGlobals('dataDir') !== 'default';
      if (!explicitDir) ctx.globals.dataDir = mkdtempSync(join(tmpdir(), 'brook-demo-'));
      const say = (text: string) => process.stdout.write(`${text}\n`);
      const dataDir = ctx.globals.dataDir;

      const { consumeTo } = await import('../consume-run.js');
      const { produceLines } = await import('./produce.js');
      say(`1. Opening a Brook data dir at ${dataDir}`);
      const backend = await ctx.backend({ autoCreateTopics: false });
      const admin = new Admin(backend);
      if ((await backend.describeTopic(TOPIC)) !== undefined) await admin.deleteTopic(TOPIC);
      await admin.createTopic(TOPIC, { partitions: 3, configs: { 'retention.ms': String(24 * 3600 * 1000) } });
      say(`2. Created topic '${TOPIC}': 3 partitions, retention.ms=86400000 (1 day)`);

      say(`3. Piping ${opts.lines} log lines "<service> <log line>" through: brook produce ${TOPIC} --key-separator ' '`);
      const outcome = await produceLines(backend, TOPIC, Readable.from(logLines(opts.lines)), {
        format: 'text', keySeparator: ' ', acks: 'all', compression: 'none', lingerMs: 5, batchBytes: 1_048_576,
      }, ctx.signal, ctx.warn);
      say(`   ${outcome.summary}`);
      say('   Keyed by service: each service\'s lines land on one partition (murmur2, as in Kafka): ' +
        [0, 1, 2].map((p) => `${p}: ${SERVICES.filter((service) => partitionForKey(Buffer.from(service), 3) === p).join(', ')}`).join('; '));

      const details = await admin.describeTopic(TOPIC);
      say(`4. brook topics describe ${TOPIC}`);
      printTable(['PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'SIZE', 'SEGMENTS'], details.partitions.map((p) => [
        String(p.partition), String(p.logStartOffset), String(p.logEndOffset), formatBytes(p.sizeBytes), String(p.segmentCount),
      ]));

      say(`5. Reading everything back: brook consume ${TOPIC} --from-beginning --format json`);
      const sink = new PassThrough();
      const lines: string[] = [];
      sink.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
      const readCount = await consumeTo(backend, TOPIC, sink, { format: 'json', fromBeginning: true }, ctx.signal);
      const records = lines.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { key: string; value: string; partition: number; offset: number });
      say(`   read ${readCount} records; the first two:`);
      for (const record of records.slice(0, 2)) say(`   ${JSON.stringify(record)}`);
      const ordered = inOrderPerKey(records);
      say(`   per-service order kept: ${ordered ? 'yes' : 'NO'}; all ${opts.lines} lines back: ${readCount === opts.lines ? 'yes' : 'NO'}`);

      say('\nTry it yourself:');
      const brookDir = `${brookCommand()} --data-dir ${shellQuote(dataDir)}`;
      say(`  ${brookDir} consume ${TOPIC} --partition 0 --max-messages 5`);
      say(`  ${brookDir} consume ${TOPIC} --format '%T %p:%o %k %s' --time-format iso --grep ERROR --max-messages 5`);
      say(`  seq 1 100000 | ${brookDir} produce numbers && ${brookDir} consume numbers | tail -3`);
      say('Several commands at once (one process owns a data dir): serve it, and the others go through the server:');
      say(`  ${brookDir} serve      # in one terminal (Kafka protocol on 127.0.0.1:9092); then, in others:`);
      say(`  ${brookDir} consume ${TOPIC} --follow`);
      say(`  echo 'checkout hello from another terminal' | ${brookDir} produce ${TOPIC} --key-separator ' '`);
      return ordered && readCount === opts.lines ? EXIT_OK : EXIT_FAILURE;
    }));
}

/** "<service> <timestamp> <level> <service> request=<n> seq=<per-service sequence>" lines. */
function* logLines(count: number): Generator<string> {
  const sequence = new Map<string, number>();
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const service = SERVICES[(i * 7 + (i >> 3)) % SERVICES.length]!;
    const seq = (sequence.get(service) ?? 0) + 1;
    sequence.set(service, seq);
    const level = LEVELS[(i * 13) % LEVELS.length]!;
    const when = new Date(start + i).toISOString();
    yield `${service} ${when} ${level} ${service} request=${1000 + i} latency_ms=${(i * 37) % 400} seq=${seq}\n`;
  }
}

function inOrderPerKey(records: Array<{ key: string; value: string }>): boolean {
  const last = new Map<string, number>();
  for (const record of records) {
    const seq = Number(/seq=(\d+)/.exec(record.value)?.[1]);
    if (!(seq > (last.get(record.key) ?? 0))) return false;
    last.set(record.key, seq);
  }
  return true;
}

/**
 * How to run brook again, as the suggestions print it: `brook` when that name on PATH is this
 * brook, `npx brook` inside its own package, else node with the launcher's full path.
 */
function brookCommand(): string {
  const launcher = realpathOrNull(process.argv[1]);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && launcher !== null && realpathOrNull(join(dir, 'brook')) === launcher) return 'brook';
  }
  const packageRoot = launcher === null ? null : dirname(dirname(launcher));
  if (packageRoot !== null && realpathOrNull(process.cwd()) === packageRoot) return 'npx brook';
  return `node ${shellQuote(launcher ?? process.argv[1] ?? 'bin/brook')}`;
}

/** A path as one shell word. */
function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function realpathOrNull(path: string | undefined): string | null {
  try {
    return path === undefined ? null : realpathSync(path);
  } catch {
    return null;
  }
}
