/**
 * From the `serve` security flags to what BrookServer takes (TLS options, SecurityConfig), checked
 * at start so a bad file or flag stops `brook serve` before it listens; and the warning for a
 * non-loopback bind that has neither TLS nor SASL.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { InvalidConfigError } from '../../common/errors.js';
import { Authorizer } from './authorizer.js';
import { isSaslMechanism, SASL_MECHANISMS, UserStore, type SaslMechanism } from './credentials.js';
import type { SecurityConfig } from './session.js';
import { tlsServerOptions, type TlsClientAuth } from './tls.js';

export interface SecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientAuth?: TlsClientAuth;
  saslUsers?: string;
  /** Comma-separated; default: every mechanism Brook implements. */
  saslMechanisms?: string;
  acl?: string;
  /** Comma-separated user names allowed everything (Kafka's super.users). */
  superUsers?: string;
}

export interface ServerSecurity {
  tls?: tls.TlsOptions;
  security?: SecurityConfig;
}

export function serverSecurityFrom(flags: SecurityFlags): ServerSecurity {
  const out: ServerSecurity = {};
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new InvalidConfigError('--tls-cert and --tls-key go together');
  }
  if (flags.tlsCert !== undefined) {
    out.tls = tlsServerOptions({ certPath: flags.tlsCert, keyPath: flags.tlsKey!, caPath: flags.tlsCa, clientAuth: flags.tlsClientAuth });
  } else if (flags.tlsCa !== undefined || (flags.tlsClientAuth ?? 'none') !== 'none') {
    throw new InvalidConfigError('--tls-ca and --tls-client-auth need --tls-cert and --tls-key');
  }
  const mechanisms = parseMechanisms(flags.saslMechanisms);
  if (flags.saslMechanisms !== undefined && flags.saslUsers === undefined) {
    throw new InvalidConfigError('--sasl-mechanisms needs --sasl-users');
  }
  const users = flags.saslUsers === undefined ? null : UserStore.load(flags.saslUsers);
  const superUsers = splitList(flags.superUsers);
  if (superUsers.length > 0 && flags.acl === undefined) throw new InvalidConfigError('--super-users needs --acl');
  const authorizer = flags.acl === undefined ? null : Authorizer.load(flags.acl, superUsers);
  if (users !== null || authorizer !== null) out.security = { users, mechanisms, authorizer };
  return out;
}

function parseMechanisms(raw: string | undefined): SaslMechanism[] {
  if (raw === undefined) return [...SASL_MECHANISMS];
  const names = splitList(raw).map((name) => name.toUpperCase());
  for (const name of names) {
    if (!isSaslMechanism(name)) throw new InvalidConfigError(`--sasl-mechanisms: '${name}' is not one of ${SASL_MECHANISMS.join(', ')}`);
  }
  if (names.length === 0) throw new InvalidConfigError('--sasl-mechanisms is empty');
  return names as SaslMechanism[];
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost". */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/** The stderr line for binding beyond loopback in the clear without authentication, or null. */
export function exposureWarning(host: string, security: ServerSecurity): string | null {
  if (isLoopbackHost(host) || security.tls !== undefined || security.security?.users) return null;
  return `warning: listening on ${host} (not loopback) without TLS or SASL: anyone who can reach this address can read and write every topic\n`;
}
