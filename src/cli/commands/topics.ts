/** `brook topics create|list|describe|delete|alter`: topic administration. */
import { Command } from 'commander';
import { Admin } from '../../embedded/admin.js';
import { action, collectConfig, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import { formatBytes } from '../throughput.js';
import { UserError } from '../user-error.js';
import type { TopicDetails } from '../../embedded/backend.js';

export function topicsCommand(): Command {
  const topics = new Command('topics').description('create, list, describe, alter and delete topics');

  topics
    .command('create <name>')
    .description('create a topic')
    .option('-p, --partitions <n>', 'number of partitions', parsePositiveInteger, 1)
    .option('-c, --config <key=value>', 'topic config by its Kafka name, e.g. retention.ms=86400000 (repeatable)', collectConfig)
    .action(action(async (ctx, name: string, opts: { partitions: number; config?: Record<string, string> }) => {
      const admin = new Admin(await ctx.backend());
      await admin.createTopic(name, { partitions: opts.partitions, configs: opts.config ?? {} });
      process.stdout.write(`created topic '${name}' with ${opts.partitions} partition${opts.partitions === 1 ? '' : 's'}\n`);
    }));

  topics
    .command('list')
    .description('list topics')
    .option('--json', 'print a JSON array')
    .option('--internal', 'include internal topics such as __consumer_offsets')
    .action(action(async (ctx, opts: { json?: boolean; internal?: boolean }) => {
      const admin = new Admin(await ctx.backend({ groups: false }));
      const list = await admin.listTopics({ includeInternal: opts.internal });
      if (opts.json) {
        const rows = list.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitionCount, internal: t.internal }));
        process.stdout.write(JSON.stringify(rows) + '\n');
        return;
      }
      printTable(['TOPIC', 'PARTITIONS'], list.map((t) => [t.name, String(t.partitionCount)]));
    }));

  topics
    .command('describe <name>')
    .description('show a topic: configs and, per partition, log start/end offsets, bytes and segments')
    .option('--json', 'print JSON')
    .action(action(async (ctx, name: string, opts: { json?: boolean }) => {
      const details = await new Admin(await ctx.backend({ groups: false })).describeTopic(name);
      if (opts.json) process.stdout.write(JSON.stringify(details) + '\n');
      else printDetails(details);
    }));

  topics
    .command('delete <name>')
    .description('delete a topic and its data')
    .action(action(async (ctx, name: string) => {
      await new Admin(await ctx.backend()).deleteTopic(name);
      process.stdout.write(`deleted topic '${name}'\n`);
    }));

  topics
    .command('delete-records <name>')
    .description("delete a topic's records before an offset (Kafka's DeleteRecords): frees whole segments below it")
    .requiredOption('--before <offset>', 'the new log start offset of each partition (records below it go)', parseNonNegativeInteger)
    .option('-p, --partition <p>', 'only this partition (default: every partition)', parseNonNegativeInteger)
    .action(action(async (ctx, name: string, opts: { before: number; partition?: number }) => {
      const admin = new Admin(await ctx.backend({ groups: false }));
      const details = await admin.describeTopic(name);
      const partitions = opts.partition === undefined ? details.partitions.map((p) => p.partition) : [opts.partition];
      for (const partition of partitions) {
        const lowWatermark = await admin.deleteRecords(name, partition, opts.before);
        process.stdout.write(`${name}-${partition}: log start offset ${lowWatermark}\n`);
      }
    }));

  topics
    .command('alter <name>')
    .description("change a topic's configs (others keep their values unless --replace) or grow its partitions")
    .option('-c, --config <key=value>', 'config to set by its Kafka name (repeatable)', collectConfig)
    .option('--replace', 'make the given configs the whole topic config; unlisted ones return to defaults')
    .option('-p, --partitions <n>', 'grow the topic to n partitions (Kafka never shrinks a topic)', parsePositiveInteger)
    .action(action(async (ctx, name: string, opts: { config?: Record<string, string>; replace?: boolean; partitions?: number }) => {
      if (opts.config === undefined && opts.partitions === undefined) throw new UserError('nothing to alter: give --config key=value or --partitions <n>');
      const admin = new Admin(await ctx.backend());
      const changes: string[] = [];
      if (opts.config !== undefined) {
        await admin.alterTopicConfigs(name, opts.config, opts.replace ? 'replace' : 'incremental');
        changes.push(...Object.entries(opts.config).map(([k, v]) => `${k}=${v}`));
      }
      if (opts.partitions !== undefined) {
        await admin.createPartitions(name, opts.partitions);
        changes.push(`partitions=${opts.partitions}`);
      }
      process.stdout.write(`altered topic '${name}': ${changes.join(', ')}\n`);
    }));

  return topics;
}

function printDetails(details: TopicDetails): void {
  const lines = [`topic ${details.name}  id ${details.topicId}  partitions ${details.partitionCount}${details.internal ? '  (internal)' : ''}`];
  const configs = Object.entries(details.configs).sort(([a], [b]) => (a < b ? -1 : 1));
  if (configs.length > 0) lines.push(`configs ${configs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  printTable(
    ['PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'HIGH-WATERMARK', 'SIZE', 'SEGMENTS'],
    details.partitions.map((p) => [
      String(p.partition), String(p.logStartOffset), String(p.logEndOffset), String(p.highWatermark),
      // -1: unknown, as over the Kafka protocol (only DescribeLogDirs reports sizes).
      p.sizeBytes < 0 ? '-' : formatBytes(p.sizeBytes), p.segmentCount < 0 ? '-' : String(p.segmentCount),
    ]),
  );
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([format(header), ...rows.map(format)].join('\n') + '\n');
}
