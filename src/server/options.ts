/**
 * The `serve` options, declared once for both entry points (the `brook serve` subcommand and
 * `node dist/src/server/main.js`), with commander's parsers.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SecurityFlags } from './security/config.js';
import { parseHttpAddress } from '../http/listener.js';

export interface ServeCommandOptions extends SecurityFlags {
  host: string;
  port: number;
  advertisedHost?: string;
  dataDir: string;
  autoCreateTopics: boolean;
  numPartitions: number;
  /** Partition worker threads (default: one per core). */
  workers?: number;
  /** `--http HOST:PORT`: the HTTP listener (ingest, metrics, console); off when undefined. */
  http?: { host: string; port: number };
}

export const SERVE_DEFAULTS = { host: '127.0.0.1', port: 9092, autoCreateTopics: true, numPartitions: 1 } as const;

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new InvalidArgumentError(`'${raw}' is not a port (0-65535)`);
  return port;
}

function parseHttp(raw: string): { host: string; port: number } {
  const address = parseHttpAddress(raw);
  if (address === null) throw new InvalidArgumentError(`'${raw}' is not HOST:PORT (e.g. 127.0.0.1:8080)`);
  return address;
}

function parseWorkers(raw: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < 1 || count > 256) throw new InvalidArgumentError(`'${raw}' is not a worker count (1-256)`);
  return count;
}

function parsePartitions(raw: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < 1) throw new InvalidArgumentError(`'${raw}' is not a positive partition count`);
  return count;
}

/** Adds the serve options to `command` (--data-dir only when `withDataDir`: the CLI has it global). */
export function addServeOptions(command: Command, withDataDir: boolean): Command {
  command
    .addOption(new Option('--host <host>', 'address to listen on (loopback by default)').default(SERVE_DEFAULTS.host))
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').default(SERVE_DEFAULTS.port).argParser(parsePort))
    .addOption(new Option('--advertised-host <host>', 'host name clients are told to connect to (default: --host)'))
    .addOption(new Option('--num-partitions <n>', 'partitions of auto-created topics (num.partitions)').default(SERVE_DEFAULTS.numPartitions).argParser(parsePartitions))
    .addOption(new Option('--workers <n>', 'partition worker threads, each owning many partitions (default: one per core)').argParser(parseWorkers))
    .addOption(new Option('--http <host:port>', 'also serve HTTP on this address: web console, /metrics, /healthz, /readyz (loopback unless told otherwise)').argParser(parseHttp))
    .addOption(new Option('--tls-cert <pem>', 'serve TLS with this certificate chain (PEM); needs --tls-key'))
    .addOption(new Option('--tls-key <pem>', 'private key of --tls-cert (PEM)'))
    .addOption(new Option('--tls-ca <pem>', 'CA certificates that sign client certificates (PEM)'))
    .addOption(new Option('--tls-client-auth <mode>', 'client certificates (ssl.client.auth); the CN becomes the principal without SASL').choices(['required', 'requested', 'none']))
    .addOption(new Option('--sasl-users <file>', 'require SASL authentication; users and credentials (JSON, see `users add`)'))
    .addOption(new Option('--sasl-mechanisms <list>', 'enabled SASL mechanisms (default: PLAIN,SCRAM-SHA-256,SCRAM-SHA-512)'))
    .addOption(new Option('--acl <file>', 'authorize by topic/group prefix rules (JSON); everything not allowed is denied'))
    .addOption(new Option('--super-users <list>', 'comma-separated users allowed everything (with --acl)'))
    .addOption(new Option('--no-auto-create-topics', 'do not create unknown topics on Metadata requests (auto.create.topics.enable=false)'));
  if (withDataDir) {
    command.addOption(new Option('-d, --data-dir <dir>', 'data directory').env('BROOK_DATA_DIR').default('./brook-data'));
  }
  return command;
}

export function serveOptionsFrom(opts: Record<string, unknown>): ServeCommandOptions {
  return {
    host: opts.host as string,
    port: opts.port as number,
    advertisedHost: opts.advertisedHost as string | undefined,
    dataDir: opts.dataDir as string,
    autoCreateTopics: opts.autoCreateTopics !== false,
    numPartitions: opts.numPartitions as number,
    workers: opts.workers as number | undefined,
    http: opts.http as ServeCommandOptions['http'],
    tlsCert: opts.tlsCert as string | undefined,
    tlsKey: opts.tlsKey as string | undefined,
    tlsCa: opts.tlsCa as string | undefined,
    tlsClientAuth: opts.tlsClientAuth as ServeCommandOptions['tlsClientAuth'],
    saslUsers: opts.saslUsers as string | undefined,
    saslMechanisms: opts.saslMechanisms as string | undefined,
    acl: opts.acl as string | undefined,
    superUsers: opts.superUsers as string | undefined,
  };
}
