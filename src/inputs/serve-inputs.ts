/**
 * The log inputs of `brook serve`: their flags (added to the serve command by
 * src/server/options.ts) and their start over the serve process's already-open Broker
 * (src/server/run.ts), through a BrokerBackend around it: records go to the log in-process, with
 * no network round trip, under the same produce path as Kafka clients.
 *
 *   --syslog udp://HOST:PORT | tcp://HOST:PORT | tls://HOST:PORT   (repeatable)
 *   --syslog-topic T  --syslog-key-field F  --syslog-format json|raw  --syslog-udp-buffer-bytes N
 *   --tail PATH|GLOB (repeatable)  --tail-topic T  --multiline-start REGEX  --from-end
 *   --max-line-bytes N  --max-line-policy truncate|skip  --input-partitioner key|round-robin
 *
 * The tail input's checkpoint lives in <data-dir>/__inputs/ (a name no topic directory can have).
 */
import path from 'node:path';
import type tls from 'node:tls';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InvalidConfigError } from '../common/errors.js';
import { BrokerBackend } from '../embedded/broker-backend.js';
import type { Broker } from '../engine/broker.js';
import { InputSet, type InputsConfig } from './input-set.js';
import { LONG_LINE_POLICIES, longLines, MAX_LINE_BYTES_DEFAULT, type LongLinePolicy } from './long-lines.js';
import { PARTITIONERS, Routing, type Partitioner } from './routing.js';
import { SYSLOG_FORMATS, type SyslogFormat } from './syslog/records.js';
import { parseSyslogAddress, SYSLOG_KEY_FIELD_DEFAULT, SYSLOG_TOPIC_DEFAULT, syslogRouting } from './syslog/syslog-input.js';

export interface ServeInputFlags {
  syslog: string[];
  syslogTopic: string;
  syslogKeyField: string;
  syslogFormat: SyslogFormat;
  syslogUdpBufferBytes?: number;
  tail: string[];
  tailTopic?: string;
  multilineStart?: string;
  fromEnd: boolean;
  maxLineBytes: number;
  maxLinePolicy: LongLinePolicy;
  inputPartitioner: Partitioner;
}

/** Where serve's inputs keep their checkpoints, inside the data dir. */
export const INPUTS_DIR = '__inputs';

function collect(raw: string, previous: string[] = []): string[] {
  return [...previous, raw];
}

function parseSyslog(raw: string, previous: string[] = []): string[] {
  if (parseSyslogAddress(raw) === null) throw new InvalidArgumentError(`'${raw}' is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`);
  return [...previous, raw];
}

function parseBytes(raw: string): number {
  const bytes = Number(raw);
  if (!/^\d+$/.test(raw) || bytes < 1) throw new InvalidArgumentError(`'${raw}' is not a positive byte count`);
  return bytes;
}

export function addInputOptions(command: Command): Command {
  return command
    .addOption(new Option('--syslog <url>', 'take syslog on udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT (repeatable; RFC 5424 and 3164)').argParser(parseSyslog))
    .addOption(new Option('--syslog-topic <topic>', 'topic of syslog messages; {field} templates allowed, e.g. logs.{app_name}').default(SYSLOG_TOPIC_DEFAULT))
    .addOption(new Option('--syslog-key-field <field>', 'field of the parsed message used as record key ("" for none)').default(SYSLOG_KEY_FIELD_DEFAULT))
    .addOption(new Option('--syslog-format <format>', 'record value: the parsed message as JSON, or the raw message').choices(SYSLOG_FORMATS).default('json'))
    .addOption(new Option('--syslog-udp-buffer-bytes <n>', 'receive buffer of UDP syslog sockets (SO_RCVBUF)').argParser(parseBytes))
    .addOption(new Option('--tail <path>', 'follow files (a path or glob, repeatable) into --tail-topic, as `brook tail` does').argParser(collect))
    .addOption(new Option('--tail-topic <topic>', 'topic of --tail lines; {field} templates allowed'))
    .addOption(new Option('--multiline-start <regex>', '--tail: a line matching REGEX starts an event; other lines join it'))
    .addOption(new Option('--from-end', '--tail: at the first start, skip what the files already hold'))
    .addOption(new Option('--max-line-bytes <n>', 'longest line or message kept (syslog, --tail)').default(MAX_LINE_BYTES_DEFAULT).argParser(parseBytes))
    .addOption(new Option('--max-line-policy <policy>', 'past --max-line-bytes: truncate (with a brook.truncated header) or skip (counted)').choices(LONG_LINE_POLICIES).default('truncate'))
    .addOption(new Option('--input-partitioner <name>', 'partition of input records: by key (murmur2) or round-robin').choices(PARTITIONERS).default('key'));
}

export function inputFlagsFrom(opts: Record<string, unknown>): ServeInputFlags {
  return {
    syslog: (opts.syslog as string[] | undefined) ?? [],
    syslogTopic: opts.syslogTopic as string,
    syslogKeyField: opts.syslogKeyField as string,
    syslogFormat: opts.syslogFormat as SyslogFormat,
    syslogUdpBufferBytes: opts.syslogUdpBufferBytes as number | undefined,
    tail: (opts.tail as string[] | undefined) ?? [],
    tailTopic: opts.tailTopic as string | undefined,
    multilineStart: opts.multilineStart as string | undefined,
    fromEnd: opts.fromEnd === true,
    maxLineBytes: opts.maxLineBytes as number,
    maxLinePolicy: opts.maxLinePolicy as LongLinePolicy,
    inputPartitioner: opts.inputPartitioner as Partitioner,
  };
}

export function inputsConfigFrom(flags: ServeInputFlags, dataDir: string, serverTls: tls.TlsOptions | undefined): InputsConfig {
  const lines = { maxLineBytes: flags.maxLineBytes, maxLinePolicy: flags.maxLinePolicy, partitioner: flags.inputPartitioner };
  const config: InputsConfig = {
    syslog: flags.syslog.map((listen) => ({
      listen, topic: flags.syslogTopic, keyField: flags.syslogKeyField, format: flags.syslogFormat,
      receiveBufferBytes: flags.syslogUdpBufferBytes, tls: serverTls, ...lines,
    })),
  };
  if (flags.tail.length > 0) {
    if (flags.tailTopic === undefined) throw new InvalidConfigError('--tail needs --tail-topic');
    config.tail = [{
      paths: flags.tail, topic: flags.tailTopic, multilineStart: flags.multilineStart, fromEnd: flags.fromEnd,
      checkpointFile: path.join(dataDir, INPUTS_DIR, 'tail.json'), ...lines,
    }];
  } else if (flags.tailTopic !== undefined) {
    throw new InvalidConfigError('--tail-topic needs --tail');
  }
  return config;
}

/**
 * Serve's inputs from its flags, checked (addresses, topic templates, --multiline-start,
 * --max-line-bytes) before anything is opened: a bad flag stops `brook serve` with one line and
 * changes nothing. Null when no input is asked for.
 */
export function prepareServeInputs(flags: ServeInputFlags, dataDir: string, serverTls: tls.TlsOptions | undefined): InputsConfig | null {
  const config = inputsConfigFrom(flags, dataDir, serverTls);
  if ((config.syslog ?? []).length === 0 && config.tail === undefined) return null;
  for (const syslog of config.syslog ?? []) {
    syslogRouting(syslog);
    if (syslog.listen.startsWith('tls:') && serverTls === undefined) throw new InvalidConfigError(`${syslog.listen} needs the server's certificate (--tls-cert and --tls-key)`);
  }
  for (const tail of config.tail ?? []) {
    new Routing(tail);
    if (tail.multilineStart !== undefined) {
      try {
        new RegExp(tail.multilineStart);
      } catch (error) {
        throw new InvalidConfigError(`--multiline-start '${tail.multilineStart}' is not a regular expression: ${(error as Error).message}`);
      }
    }
  }
  longLines(flags.maxLineBytes, flags.maxLinePolicy);
  return config;
}

/** Starts serve's inputs over the serve process's Broker. */
export async function startServeInputs(
  broker: Broker,
  config: InputsConfig,
  settings: { autoCreateTopics: boolean; numPartitions: number },
  log: (line: string) => void,
): Promise<InputSet> {
  const backend = BrokerBackend.around(broker, { autoCreateTopics: settings.autoCreateTopics, numPartitions: settings.numPartitions });
  return InputSet.start(backend, config, log, broker);
}
