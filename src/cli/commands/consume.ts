/**
 * `brook consume <topic>`: records to stdout, one per line (or in a kcat-style --format
 * template). Without --follow it stops at the high watermarks seen at start; with it, it waits for
 * new records like `tail -f`. It ends when stdout closes (EPIPE, e.g. `| head`: exit 0) or on
 * SIGINT/SIGTERM (exit 130/143, as produce), and writes only as fast as stdout drains. The read
 * loop is consume-run.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { action, exitCodeFor, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import type { ConsumeOptions } from '../consume-run.js';
import { parseOutputFormat } from '../output-format.js';
import { parseIsoTime } from '../record-format.js';

export type { ConsumeOptions } from '../consume-run.js';

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print a topic\'s records to stdout, one per line')
    .argument('<topic>')
    .option('--from-beginning', 'start at each partition\'s log start offset')
    .addOption(new Option('--offset <n>', 'start at this offset in each partition read').argParser(parseNonNegativeInteger).conflicts('fromBeginning'))
    .addOption(new Option('--from-time <time>', 'start at the first record at or after this time: epoch ms, or ISO 8601 (2024-05-01T12:00:00Z, 2024-05-01)')
      .argParser(parseTime).conflicts(['fromBeginning', 'offset']))
    .option('-p, --partition <p>', 'read only this partition', parseNonNegativeInteger)
    .option('-n, --max-messages <n>', 'stop after n records (printed ones, with --grep)', parsePositiveInteger)
    .option('-f, --follow', 'keep waiting for new records (like tail -f) until interrupted')
    .addOption(new Option('--format <format>', "value (the value per line), json, or a kcat-style template such as '%T %p:%o %k %s' (see below)")
      .argParser(parseFormat).default('value'))
    .option('-K, --key-separator <sep>', 'with --format value, print key<sep>value')
    .option('--grep <regex>', 'print only records whose key or value (as UTF-8 text) matches this JavaScript regular expression', parseRegExp)
    .addOption(new Option('--time-format <format>', 'timestamps in --format json and %T: epoch milliseconds or ISO 8601 UTC').choices(['ms', 'iso']).default('ms'))
    .option('--base64', 'with --format json, write keys, values and header values that are not UTF-8 as keyBase64/valueBase64')
    .addOption(new Option('-g, --group <group>', 'consume as a member of this consumer group: start at its committed offsets, commit what is printed')
      .conflicts(['offset', 'partition', 'fromTime']))
    .addOption(new Option('--skip-corrupt', 'report damaged data (a batch failing its CRC-32C check, unreadable offsets) on stderr and read on past it, instead of stopping there')
      .conflicts('group'))
    .addHelpText('after', `
Start: --from-beginning, --offset <n>, --from-time <time>, or by default the beginning without
--follow (read what is there, then stop at the high watermark seen at start) and the end with
--follow (only new records, as Kafka's console consumer). Within a partition records come in
offset order. A null value prints as an empty line (json: null).

Formats: value prints the value's bytes as they are (binary-safe). json prints
{"topic","partition","offset","timestamp","key","value","headers"} per line, keys and values
decoded as UTF-8 (--base64: bytes that are not UTF-8 as keyBase64/valueBase64, which
\`brook produce --format json\` reads back). A template takes kcat's tokens: %s value, %k key,
%t topic, %p partition, %o offset, %T timestamp, %S value bytes, %K key bytes, %h headers, %%;
escapes \\n \\t \\r \\\\; a newline is added unless the template ends with one.

Damaged data: every batch's CRC-32C is checked (Kafka's check.crcs). At a batch that fails it,
or at offsets the broker cannot read, consume prints everything before it, then stops with an
error naming topic, partition and offsets; --skip-corrupt reports it on stderr and reads on.

With --group the group's committed offsets decide where each partition starts (--from-beginning
or --follow only choose where a partition without one starts), offsets are committed as records
are printed and on exit, and a second run continues where the group left off. Without --follow it
stops once its partitions are caught up.

Exit codes: 0 done (also when stdout closes early); 1 an error; 130 (SIGINT) or 143 (SIGTERM).

Examples:
  brook consume numbers --from-beginning | wc -l
  brook consume app-logs --group archiver
  brook consume app-logs --follow --format '%T %p:%o %k %s' --time-format iso
  brook consume app-logs --from-time 2024-05-01T12:00:00Z --grep 'ERROR|WARN'
  brook consume events --partition 2 --offset 1000 --max-messages 10`)
    .action(action(async (ctx, topic: string, opts: ConsumeOptions) => {
      // Without --group nothing needs the coordinator workers: do not wait for them to start.
      const backend = await ctx.backend({ autoCreateTopics: false, groups: opts.group !== undefined });
      const { consumeTo } = await import('../consume-run.js'); // the consumer's modules, only for this command
      await consumeTo(backend, topic, process.stdout, opts, ctx.signal, ctx.warn);
      return exitCodeFor(ctx.signal);
    }));
}

function parseTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : parseIsoTime(value);
  if (ms === null || !Number.isFinite(ms)) {
    throw new InvalidArgumentError('expected epoch milliseconds or an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z');
  }
  return ms;
}

function parseFormat(value: string): ReturnType<typeof parseOutputFormat> {
  try {
    return parseOutputFormat(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--format: /, ''));
  }
}

function parseRegExp(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (err) {
    throw new InvalidArgumentError(`not a regular expression (${(err as Error).message})`);
  }
}
