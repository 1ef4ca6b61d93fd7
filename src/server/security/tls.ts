/**
 * The TLS listener's settings (`--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-client-auth`) turned
 * into node:tls server options, and the principal a verified client certificate stands for
 * (Kafka's default principal builder uses the whole DN; Brook uses the CN, "User:<CN>").
 */
import fs from 'node:fs';
import type tls from 'node:tls';
import { InvalidConfigError } from '../../common/errors.js';
import { userPrincipal } from './authorizer.js';

/** ssl.client.auth in Kafka. */
export type TlsClientAuth = 'required' | 'requested' | 'none';

export interface TlsSettings {
  certPath: string;
  keyPath: string;
  caPath?: string;
  clientAuth?: TlsClientAuth;
}

export function tlsServerOptions(settings: TlsSettings): tls.TlsOptions {
  const clientAuth = settings.clientAuth ?? 'none';
  if (clientAuth !== 'none' && settings.caPath === undefined) {
    throw new InvalidConfigError(`--tls-client-auth ${clientAuth} needs --tls-ca (the CA that signs client certificates)`);
  }
  return {
    cert: readPem(settings.certPath, '--tls-cert'),
    key: readPem(settings.keyPath, '--tls-key'),
    ca: settings.caPath === undefined ? undefined : readPem(settings.caPath, '--tls-ca'),
    requestCert: clientAuth !== 'none',
    // 'requested': a missing certificate, or one from a CA not trusted, is let in without a
    // certificate principal. One that names the trusted CA as issuer but fails its signature check
    // is too, but Node 20 / OpenSSL 3 then reset its connection after the first answer (the failed
    // check surfaces as a socket error): it fails closed, never as the certificate's CN (tested).
    rejectUnauthorized: clientAuth === 'required',
    minVersion: 'TLSv1.2',
  };
}

function readPem(path: string, flag: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    throw new InvalidConfigError(`${flag} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** "User:<CN>" of a verified client certificate, else null. */
export function certificatePrincipal(socket: tls.TLSSocket): string | null {
  if (!socket.authorized) return null;
  const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return name === undefined || name === '' ? null : userPrincipal(name);
}
