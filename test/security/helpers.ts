/**
 * For the security end-to-end tests: a throwaway CA, server and client certificates made with
 * openssl in a temp dir, and a `brook serve` process from dist/ (run `npx tsc -p tsconfig.json`
 * first) started with extra flags, whose stderr is kept. Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { start } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/**
 * CA (CN=`caName`) -> server certificate (SAN localhost, 127.0.0.1) and client certificate
 * (CN=client-1). Two PKIs for one test need different CA names: a certificate whose issuer name
 * matches the trusted CA but whose signature does not fails verification differently.
 */
export function makePki(caName = 'brook-test-ca'): Pki {
  const dir = tempDir('brook-pki-');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${caName}`], dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', 'localhost', 'server.ext'], ['client', 'client-1', null]] as const) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(ext ? ['-extfile', ext] : [])], dir);
  }
  const at = (name: string): string => path.join(dir, name);
  return { dir, ca: at('ca.pem'), serverCert: at('server.pem'), serverKey: at('server.key'), clientCert: at('client.pem'), clientKey: at('client.key') };
}

export interface SecureServe {
  host: string;
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** `env` is added to this process's environment for the server (e.g. BROOK_GROUP_* settings). */
export async function startSecureServe(args: string[], env: Record<string, string> = {}): Promise<SecureServe> {
  const server = await start({ dataDir: tempDir('brook-security-'), args, env });
  return {
    host: server.host,
    port: server.port,
    stderr: server.stderr,
    async stop() {
      await server.stop();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    },
  };
}
