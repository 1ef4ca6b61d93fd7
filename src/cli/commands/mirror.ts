/**
 * `brook mirror <topic...> --to <host:port>`: forwards topics from the local Brook (--data-dir, or
 * --broker for a running `brook serve`) to an Apache Kafka (or Kafka-compatible) cluster -- the way
 * past one host (DESIGN.md "Scale beyond one host"). The engine is src/mirror/; this file is flags,
 * progress and the summary.
 */
import { Command, Option } from 'commander';
import { Compression, COMPRESSION_NAMES, type CompressionName } from '../../protocol/compression.js';
import type { MirrorStats } from '../../mirror/mirror.js';
import { action, EXIT_OK, parsePositiveInteger } from '../context.js';
import { formatBytes } from '../throughput.js';

interface MirrorFlags {
  to: string;
  group?: string;
  fromBeginning?: boolean;
  follow?: boolean;
  targetTopicPrefix?: string;
  createTopics?: boolean;
  compression?: CompressionName;
  fetchBytes: number;
  json?: boolean;
}

const LIVE_INTERVAL_MS = 1000;

export function mirrorCommand(): Command {
  return new Command('mirror')
    .description('forward topics to an Apache Kafka (or Kafka-compatible) cluster')
    .argument('<topic...>', 'source topics')
    .requiredOption('--to <host:port>', 'bootstrap broker of the target cluster')
    .option('-g, --group <group>', 'source consumer group that records progress: a rerun resumes where it stopped')
    .option('--from-beginning', 'start partitions without a committed offset at the log start')
    .option('-f, --follow', 'keep forwarding new records until interrupted')
    .option('--target-topic-prefix <prefix>', 'target topic = <prefix><source topic>')
    .option('--create-topics', "create missing target topics with the source's partition count")
    .addOption(new Option('--compression <codec>', 'compress target batches with this codec (default: keep each batch\'s)').choices(COMPRESSION_NAMES))
    .option('--fetch-bytes <n>', 'source bytes per partition per round (max.partition.fetch.bytes)', parsePositiveInteger, 1_048_576)
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText('after', `
Each round fetches every source partition, produces to the target with acks=all (to each
partition's leader), and only after the target acknowledged commits the round's offsets for
--group on the source. A partition keeps its number when the target topic has at least as many
partitions; otherwise records go by key with Kafka's murmur2 partitioner. Keys, values, headers
and timestamps are kept; batches are forwarded byte for byte when the partition maps 1:1.

Start: the group's committed offset; for a partition without one, the log start (--from-beginning,
or without --follow) or the log end (--follow alone). Without --follow it stops at the end seen at
start; SIGINT finishes the round in flight, commits it and exits.

At least once: after a crash the last round acknowledged but not committed is sent again.

Examples:
  brook mirror app-logs --to kafka-1:9092 --group to-central --create-topics
  brook mirror app-logs metrics --to kafka-1:9092 --group to-central --follow --target-topic-prefix edge1.`)
    .action(action(async (ctx, topics: string[], flags: MirrorFlags) => {
      const source = await ctx.backend({ autoCreateTopics: false, groups: flags.group !== undefined });
      const { Mirror } = await import('../../mirror/mirror.js'); // the client and codecs, only for this command
      const mirror = await Mirror.open(source, {
        topics,
        to: flags.to,
        groupId: flags.group,
        fromBeginning: flags.fromBeginning,
        follow: flags.follow,
        targetTopicPrefix: flags.targetTopicPrefix,
        createTopics: flags.createTopics,
        compression: flags.compression === undefined ? undefined : Compression[flags.compression],
        partitionMaxBytes: flags.fetchBytes,
      });
      const live = process.stderr.isTTY && !process.env.CI;
      let lastLiveMs = 0;
      let stats: MirrorStats;
      try {
        stats = await mirror.run(ctx.signal, (s) => {
          if (!live || Date.now() - lastLiveMs < LIVE_INTERVAL_MS) return;
          lastLiveMs = Date.now();
          process.stderr.write(`\r\x1b[K${describe(s)}, lag ${s.lagRecordCount}`);
        });
      } finally {
        if (live) process.stderr.write('\r\x1b[K');
        await mirror.close();
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ topics, to: flags.to, group: flags.group ?? null, ...stats })}\n`);
      else process.stderr.write(`mirrored ${describe(stats)} to ${flags.to}${flags.group === undefined ? '' : ` (group ${flags.group} committed)`}\n`);
      return EXIT_OK; // SIGINT is how a --follow mirror stops: the round was committed
    }));
}

function describe(s: MirrorStats): string {
  const seconds = Math.max(s.elapsedMs / 1000, 0.001);
  return `${s.recordCount} records, ${formatBytes(s.bytes)} in ${seconds.toFixed(2)} s ` +
    `(${Math.round(s.recordCount / seconds)} records/s; ${s.forwardedBatchCount} batches forwarded as-is, ${s.reencodedBatchCount} re-encoded)`;
}
