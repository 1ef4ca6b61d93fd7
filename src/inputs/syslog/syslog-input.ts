/**
 * A syslog input from its configuration: `udp://HOST:PORT`, `tcp://HOST:PORT` or `tls://HOST:PORT`
 * (`--syslog` of `brook serve`, repeatable; `inputs.syslog` of `Brook.open`). Records go to
 * `topic` (default `syslog`, a template allowed), keyed by `keyField` (default `hostname`).
 */
import type tls from 'node:tls';
import { InvalidConfigError } from '../../common/errors.js';
import { longLines, type LongLinePolicy } from '../long-lines.js';
import { Routing, type Partitioner } from '../routing.js';
import type { InputSink } from '../sink.js';
import { SYSLOG_FORMATS, type SyslogFormat } from './records.js';
import { byteRouting } from './records.js';
import { SyslogTcpInput } from './syslog-tcp.js';
import { SyslogTcpThread } from './tcp-thread.js';
import { SyslogUdpInput } from './syslog-udp.js';

export interface SyslogInputConfig {
  /** `udp://HOST:PORT`, `tcp://HOST:PORT` or `tls://HOST:PORT` (port 0: any free port). */
  listen: string;
  /** Topic or template (`logs.{app_name}`); default `syslog`. */
  topic?: string;
  /** Field of the parsed message used as the key; default `hostname`; '' for no key. */
  keyField?: string;
  partitioner?: Partitioner;
  /** 'json' (default): the parsed message as JSON; 'raw': the message bytes as received. */
  format?: SyslogFormat;
  maxLineBytes?: number;
  maxLinePolicy?: LongLinePolicy;
  /** UDP: the socket's receive buffer (SO_RCVBUF). */
  receiveBufferBytes?: number;
  /** Required by tls://: the server's certificate options (the Kafka listener's --tls-* flags). */
  tls?: tls.TlsOptions;
}

export const SYSLOG_TOPIC_DEFAULT = 'syslog';
export const SYSLOG_KEY_FIELD_DEFAULT = 'hostname';

export interface SyslogAddress {
  transport: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
}

/** Parses `udp://127.0.0.1:514`, `tcp://[::1]:6514`, ...; null when it is not one. */
export function parseSyslogAddress(raw: string): SyslogAddress | null {
  const match = /^(udp|tcp|tls):\/\/(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/.exec(raw);
  if (match === null) return null;
  const port = Number(match[4]);
  if (port > 65535) return null;
  return { transport: match[1] as SyslogAddress['transport'], host: match[2] ?? match[3]!, port };
}

export type SyslogInput = SyslogUdpInput | SyslogTcpInput | SyslogTcpThread;

/** The routing a syslog config asks for (checked before anything listens). */
export function syslogRouting(config: SyslogInputConfig): Routing {
  return new Routing({
    topic: config.topic ?? SYSLOG_TOPIC_DEFAULT,
    keyField: config.keyField ?? SYSLOG_KEY_FIELD_DEFAULT,
    partitioner: config.partitioner,
  });
}

export async function startSyslogInput(config: SyslogInputConfig, sink: InputSink): Promise<SyslogInput> {
  const address = parseSyslogAddress(config.listen);
  if (address === null) throw new InvalidConfigError(`syslog address '${config.listen}' is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`);
  const format = config.format ?? 'json';
  if (!SYSLOG_FORMATS.includes(format)) throw new InvalidConfigError(`syslog format '${format}' is not json or raw`);
  const limits = longLines(config.maxLineBytes, config.maxLinePolicy);
  const common = { host: address.host, port: address.port, format, limits };
  if (address.transport === 'udp') return SyslogUdpInput.listen(sink, { ...common, receiveBufferBytes: config.receiveBufferBytes });
  if (address.transport === 'tls' && config.tls === undefined) {
    throw new InvalidConfigError(`${config.listen} needs the server's certificate (--tls-cert and --tls-key)`);
  }
  const options = { ...common, tls: address.transport === 'tls' ? config.tls : undefined };
  // On a thread of its own when every record goes to one topic whose limits can be looked up
  // now (tcp-thread.ts); else on the main thread, where the first send looks them up.
  if (byteRouting(sink.routing) && await sink.producer.topicLimits(sink.routing.topic).then(() => true, () => false)) {
    return SyslogTcpThread.start(sink, options);
  }
  return SyslogTcpInput.listen(sink, options);
}
