/**
 * brook serve with TLS + SASL + ACLs, driven by kafkajs, kcat (librdkafka) and raw sockets, over
 * openssl-made certificates. kcat and openssl are Debian packages: when CI=true a missing one fails
 * the suite; elsewhere the tests that need it are skipped with a visible message.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as apiVersionsApi from '../../src/protocol/apis/api-versions.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.js';
import { addUser } from '../../src/server/security/credentials.js';
import { brook } from '../cli/helpers.js';
import { makePki, startSecureServe, type Pki, type SecureServe } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const hasKcat = spawnSync('kcat', ['-V']).status === 0;
for (const [tool, found] of [['openssl', hasOpenssl], ['kcat', hasKcat]] as const) {
  if (found) continue;
  if (process.env.CI === 'true') throw new Error(`${tool} is not installed, and CI=true requires it (apt-get install ${tool})`);
  console.warn(`SKIPPING security tests that need ${tool}: it is not installed`);
}

/**
 * A TLS connection to `server` trusting `pki`'s CA, presenting `client`'s certificate (or none).
 * TLS 1.3 reports a refused client certificate after the client's handshake finished, so 'ok'
 * means the server answered a request over the connection (no timer: a slow server must not pass
 * for an accepting one).
 */
/**
 * Sends one request frame on a fresh TLS connection presenting `client`'s certificate (or none);
 * resolves with the whole answer frame (size prefix removed), or null if the connection failed or
 * closed first.
 */
function firstAnswer(server: SecureServe, pki: Pki, client: Pki | null, frame: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: server.host, port: server.port, ca: fs.readFileSync(pki.ca), servername: 'localhost',
      ...(client !== null ? { cert: fs.readFileSync(client.clientCert), key: fs.readFileSync(client.clientKey) } : {}),
    });
    let received = Buffer.alloc(0);
    socket.once('secureConnect', () => socket.write(frame));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.destroy();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.once('error', () => resolve(null));
    socket.once('close', () => resolve(null));
  });
}

/** TLS 1.3 reports a refused client certificate after the handshake: 'ok' means a request was answered. */
async function handshake(server: SecureServe, pki: Pki, client: Pki | null): Promise<'ok' | 'failed'> {
  const frame = Buffer.concat(encodeRequestFrame(ApiKey.ApiVersions, 0, 1, 'tls-test', apiVersionsApi.defaultRequest()));
  return (await firstAnswer(server, pki, client, frame)) === null ? 'failed' : 'ok';
}

describe.skipIf(!hasOpenssl)('brook serve with TLS, SASL and ACLs', () => {
  let pki: Pki;
  let server: SecureServe;

  beforeAll(async () => {
    pki = makePki();
    const users = path.join(pki.dir, 'users.json');
    addUser(users, 'alice', 'SCRAM-SHA-512', 'alice-secret');
    addUser(users, 'carol', 'SCRAM-SHA-256', 'carol-secret');
    addUser(users, 'bob', 'PLAIN', 'bob-secret');
    const acl = path.join(pki.dir, 'acl.json');
    fs.writeFileSync(acl, JSON.stringify({
      acls: [
        { user: 'alice', resource: 'topic', prefix: 'secure-', operations: ['create', 'write', 'read'] },
        { user: 'alice', resource: 'group', prefix: 'secure-', operations: ['read'] },
        { user: 'bob', resource: 'topic', prefix: 'secure-', operations: ['read'] },
        { user: 'carol', resource: 'topic', prefix: 'kcat-', operations: ['create', 'write', 'read'] },
      ],
    }));
    server = await startSecureServe([
      '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey,
      '--sasl-users', users, '--sasl-mechanisms', 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', '--acl', acl,
    ]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  function kafka(sasl: SASLOptions): Kafka {
    return new Kafka({
      clientId: 'brook-security',
      brokers: [`${server.host}:${server.port}`],
      ssl: { ca: [fs.readFileSync(pki.ca, 'utf8')] },
      sasl,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100 },
    });
  }

  it('kafkajs with SCRAM-SHA-512 over TLS creates, produces to and consumes its topic', async () => {
    const client = kafka({ mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'secure-orders', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'secure-orders', messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }] });
    await producer.disconnect();
    const consumer = client.consumer({ groupId: 'secure-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'secure-orders', fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length === 2) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(values).toEqual(['one', 'two']);
  }, 60_000);

  it('gives a PLAIN user with read but no write access TOPIC_AUTHORIZATION_FAILED on produce', async () => {
    const producer = kafka({ mechanism: 'plain', username: 'bob', password: 'bob-secret' }).producer();
    await producer.connect();
    const error = await producer.send({ topic: 'secure-orders', messages: [{ value: 'nope' }] }).then(() => null, (e: unknown) => e);
    await producer.disconnect();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error as object)) + String(error)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized to access topics/i);
  }, 30_000);

  it('refuses kafkajs with a wrong password (SASL authentication failed)', async () => {
    const admin = kafka({ mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|authentication/i);
    await admin.disconnect();
  }, 30_000);

  it('closes an unauthenticated connection that sends Metadata, without answering it', async () => {
    const socket = tls.connect({ host: server.host, port: server.port, ca: fs.readFileSync(pki.ca), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // Metadata v1, correlation id 7, client id "raw", topics null (all topics).
    const body = Buffer.alloc(2 + 2 + 4 + 2 + 3 + 4);
    body.writeInt16BE(3, 0);
    body.writeInt16BE(1, 2);
    body.writeInt32BE(7, 4);
    body.writeInt16BE(3, 8);
    body.write('raw', 10);
    body.writeInt32BE(-1, 13);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    socket.write(Buffer.concat([size, body]));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Buffer.concat(received).length).toBe(0);
  }, 30_000);

  describe.skipIf(!hasKcat)('kcat (librdkafka) with sasl_ssl', () => {
    function kcat(username: string, password: string, args: string[], input?: string) {
      return spawnSync('kcat', [
        '-b', `${server.host}:${server.port}`,
        '-X', 'security.protocol=sasl_ssl', '-X', 'sasl.mechanisms=SCRAM-SHA-256',
        '-X', `sasl.username=${username}`, '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${pki.ca}`,
        ...args,
      ], { input, encoding: 'utf8', timeout: 30_000 });
    }

    it('produces and consumes with SCRAM-SHA-256', () => {
      const produced = kcat('carol', 'carol-secret', ['-P', '-t', 'kcat-secure', '-p', '0'], 'alpha\nbeta\n');
      expect(produced.status, produced.stderr).toBe(0);
      const consumed = kcat('carol', 'carol-secret', ['-C', '-t', 'kcat-secure', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n']);
      expect(consumed.status, consumed.stderr).toBe(0);
      expect(consumed.stdout.trim().split('\n')).toEqual(['alpha', 'beta']);
    }, 60_000);

    it('exits non-zero with a wrong password', () => {
      const result = kcat('carol', 'wrong', ['-L', '-m', '3']);
      expect(result.status).not.toBe(0);
    }, 60_000);
  });
});

describe.skipIf(!hasOpenssl)('brook serve with TLS client certificates required', () => {
  let pki: Pki;
  let server: SecureServe;

  beforeAll(async () => {
    pki = makePki();
    server = await startSecureServe(['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.ca, '--tls-client-auth', 'required']);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  it('fails the handshake of a client without a certificate', async () => {
    expect(await handshake(server, pki, null)).toBe('failed');
  });

  it('accepts a client whose certificate the CA signed', async () => {
    expect(await handshake(server, pki, pki)).toBe('ok');
  });
});

describe.skipIf(!hasOpenssl)('brook serve with TLS client certificates requested', () => {
  let pki: Pki;
  let otherPki: Pki; // a CA the server does not know, whose client certificate also says CN=client-1
  let server: SecureServe;

  beforeAll(async () => {
    pki = makePki();
    otherPki = makePki('unknown-ca');
    const acl = path.join(pki.dir, 'acl.json');
    fs.writeFileSync(acl, JSON.stringify({
      acls: [
        { user: 'client-1', resource: 'topic', prefix: 'cert-', operations: ['write'] },
        { user: '*', resource: 'topic', prefix: 'cert-', operations: ['create', 'describe'] },
      ],
    }));
    server = await startSecureServe([
      '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.ca, '--tls-client-auth', 'requested', '--acl', acl,
    ]);
    const admin = kafka(pki).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'cert-only', numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    for (const dir of [pki?.dir, otherPki?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** kafkajs over TLS trusting the server's CA, presenting `client`'s certificate (or none). */
  function kafka(client: Pki | null): Kafka {
    return new Kafka({
      clientId: 'brook-mtls',
      brokers: [`${server.host}:${server.port}`],
      ssl: {
        ca: [fs.readFileSync(pki.ca, 'utf8')],
        ...(client !== null ? { cert: fs.readFileSync(client.clientCert, 'utf8'), key: fs.readFileSync(client.clientKey, 'utf8') } : {}),
      },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100 },
    });
  }

  /** null when the produce was acknowledged, else the error's text. */
  async function produceError(client: Pki | null): Promise<string | null> {
    const producer = kafka(client).producer();
    await producer.connect();
    try {
      const metadata = await producer.send({ topic: 'cert-only', messages: [{ value: 'signed' }] });
      expect(metadata[0]!.errorCode).toBe(0);
      return null;
    } catch (error) {
      return JSON.stringify(error, Object.getOwnPropertyNames(error as object)) + String(error);
    } finally {
      await producer.disconnect();
    }
  }

  it('accepts a client without a certificate, as User:ANONYMOUS, whom the ACLs deny writing', async () => {
    expect(await handshake(server, pki, null)).toBe('ok');
    expect(await produceError(null)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized to access topics/i);
  }, 30_000);

  it('accepts a client whose certificate the CA signed, as User:<CN>, and lets it write what the CN may', async () => {
    expect(await handshake(server, pki, pki)).toBe('ok');
    expect(await produceError(pki)).toBeNull();
  }, 30_000);

  it('lets in a certificate from a CA it does not know, but as User:ANONYMOUS, not as its CN', async () => {
    expect(await handshake(server, pki, otherPki)).toBe('ok');
    expect(await produceError(otherPki)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized to access topics/i);
  }, 30_000);

  it('never serves a certificate that names the trusted CA as issuer, but was signed by another key, as its CN', async () => {
    // Node 20 / OpenSSL 3 answer such a client's first request, as User:ANONYMOUS, then close or
    // reset the connection (see tls.ts): a Produce as that first request is refused, not acknowledged.
    const impostor = makePki(); // the same CA name as the server's, another key
    try {
      const produce = Buffer.concat(encodeRequestFrame(ApiKey.Produce, 7, 1, 'impostor', {
        ...produceApi.defaultRequest(), acks: -1, timeoutMs: 5000,
        topicData: [{ name: 'cert-only', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from('forged') }]) }] }],
      }));
      const answer = await firstAnswer(server, pki, impostor, produce);
      expect(answer).not.toBeNull();
      const { body } = decodeResponseFrame(answer!, ApiKey.Produce, 7) as { body: produceApi.ProduceResponse };
      expect(body.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const refused = await produceError(impostor).catch((error: unknown) => String(error)); // kafkajs: connect() may be the one refused
      expect(refused).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized to access topics|Closed connection|ECONNRESET/i);
    } finally {
      fs.rmSync(impostor.dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('brook users add, then brook serve --sasl-users', () => {
  let dir: string;
  let server: SecureServe | undefined;

  beforeAll(() => {
    dir = tempDir('brook-users-');
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the password from the first line of stdin, without its line end, and kafkajs logs in with it over SCRAM-SHA-512', async () => {
    const usersFile = path.join(dir, 'users.json');
    const added = await brook(['users', 'add', 'dora', '--mechanism', 'SCRAM-SHA-512', '--password-stdin', '--file', usersFile], { input: 'dora-s3cret\n' });
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe(`added SCRAM-SHA-512 user 'dora' to ${usersFile}\n`);
    const crlf = await brook(['users', 'add', 'erin', '--mechanism', 'SCRAM-SHA-512', '--password-stdin', '--file', usersFile], { input: 'erin-s3cret\r\nnot the password\n' });
    expect(crlf.code).toBe(0);
    // Only salted credentials are stored, in a file only its owner may read.
    const text = fs.readFileSync(usersFile, 'utf8');
    expect(text).not.toContain('s3cret');
    expect(JSON.parse(text).users.map((u: { name: string; mechanism: string }) => [u.name, u.mechanism])).toEqual([['dora', 'SCRAM-SHA-512'], ['erin', 'SCRAM-SHA-512']]);
    expect(fs.statSync(usersFile).mode & 0o777).toBe(0o600);

    server = await startSecureServe(['--sasl-users', usersFile]);
    const admin = (username: string, password: string) => new Kafka({
      clientId: 'brook-users',
      brokers: [`${server!.host}:${server!.port}`],
      sasl: { mechanism: 'scram-sha-512', username, password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    for (const [username, password] of [['dora', 'dora-s3cret'], ['erin', 'erin-s3cret']]) {
      const client = admin(username!, password!);
      await client.connect();
      try {
        await client.createTopics({ topics: [{ topic: `${username}-topic`, numPartitions: 1 }] });
        expect(await client.listTopics()).toContain(`${username}-topic`);
      } finally {
        await client.disconnect();
      }
    }
    for (const [username, password] of [['dora', 'dora-s3cret\n'], ['dora', 'wrong'], ['erin', 'erin-s3cret\r']]) {
      const client = admin(username!, password!);
      await expect(client.connect()).rejects.toThrow(/SASL|authentication/i);
      await client.disconnect();
    }
  }, 60_000);
});

describe('binding beyond loopback', () => {
  it('prints a warning on stderr without TLS or SASL', async () => {
    const server = await startSecureServe(['--host', '0.0.0.0']);
    try {
      expect(server.stderr()).toMatch(/warning: listening on 0\.0\.0\.0 \(not loopback\) without TLS or SASL/);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
