import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Authorizer } from '../../src/server/security/authorizer.js';
import { UserStore } from '../../src/server/security/credentials.js';
import { clientProof, parseClientFirst, scramCredential, ScramError, ScramServer } from '../../src/server/security/scram.js';
import { SecuritySession } from '../../src/server/security/session.js';

// RFC 7677 section 3: SCRAM-SHA-256 with user "user", password "pencil".
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const RFC_SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');

describe('SCRAM-SHA-256 against RFC 7677', () => {
  it('computes the client proof of the RFC example', () => {
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,${RFC.serverFirst},c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0`;
    expect(clientProof('SCRAM-SHA-256', 'pencil', RFC_SALT, 4096, authMessage).toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  });

  it('answers the RFC exchange byte for byte from stored keys only', () => {
    const credential = scramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
    const server = new ScramServer('SCRAM-SHA-256', (name) => (name === 'user' ? credential : undefined), () => RFC.serverNonce);
    expect(server.step(RFC.clientFirst)).toBe(RFC.serverFirst);
    expect(server.username).toBeNull();
    expect(server.step(RFC.clientFinal)).toBe(RFC.serverFinal);
    expect(server.username).toBe('user');
  });

  it("accepts librdkafka 2.0.2's client-final nonce (client nonce + the whole server nonce), as Kafka does", () => {
    const credential = scramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
    const server = new ScramServer('SCRAM-SHA-256', () => credential, () => RFC.serverNonce);
    server.step(RFC.clientFirst);
    const nonce = `rOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqO${RFC.serverNonce}`;
    const withoutProof = `c=biws,r=${nonce}`;
    const proof = clientProof('SCRAM-SHA-256', 'pencil', RFC_SALT, 4096, `n=user,r=rOprNGfwEbeRWgbNEkqO,${RFC.serverFirst},${withoutProof}`);
    expect(server.step(`${withoutProof},p=${proof.toString('base64')}`)).toMatch(/^v=/);
    expect(server.username).toBe('user');
  });

  it('refuses a proof made with another password', () => {
    const credential = scramCredential('SCRAM-SHA-256', 'not-pencil', 4096, RFC_SALT);
    const server = new ScramServer('SCRAM-SHA-256', () => credential, () => RFC.serverNonce);
    server.step(RFC.clientFirst);
    expect(() => server.step(RFC.clientFinal)).toThrow(ScramError);
    expect(server.username).toBeNull();
  });

  it('refuses an unknown user at the proof, after a normal-looking server-first', () => {
    const server = new ScramServer('SCRAM-SHA-256', () => undefined, () => RFC.serverNonce);
    expect(server.step(RFC.clientFirst)).toMatch(/^r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj\)hNlF\$k0,s=[^,]+,i=\d+$/);
    expect(() => server.step(RFC.clientFinal)).toThrow(ScramError);
  });

  it('refuses a client-final with a changed nonce or channel binding', () => {
    const credential = scramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
    const truncatedNonce = RFC.clientFinal.replace('hNlF$k0,p=', 'hNlF$k,p=');
    for (const tampered of [truncatedNonce, RFC.clientFinal.replace('c=biws', 'c=eSws')]) {
      const server = new ScramServer('SCRAM-SHA-256', () => credential, () => RFC.serverNonce);
      server.step(RFC.clientFirst);
      expect(() => server.step(tampered)).toThrow(ScramError);
    }
  });

  it('unescapes =2C and =3D in user names and rejects channel binding and other escapes', () => {
    expect(parseClientFirst('n,,n=a=2Cb=3Dc,r=xyz').username).toBe('a,b=c');
    expect(() => parseClientFirst('p=tls-unique,,n=a,r=x')).toThrow(ScramError);
    expect(() => parseClientFirst('n,,n=a=41,r=x')).toThrow(ScramError);
    expect(() => parseClientFirst('n,,r=x')).toThrow(ScramError);
  });
});

describe('SecuritySession', () => {
  const users = new UserStore({
    users: [
      { name: 'alice', mechanism: 'PLAIN', password: 'alice-pw' },
      (() => {
        const c = scramCredential('SCRAM-SHA-512', 'bob-pw', 4096);
        return { name: 'bob', mechanism: 'SCRAM-SHA-512' as const, iterations: 4096, salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
      })(),
    ],
  });
  const config = { users, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] as const, authorizer: null };

  it('serves only ApiVersions and the SASL APIs before authentication', () => {
    const session = new SecuritySession(config);
    expect([18, 17, 36].every((key) => session.mayServe(key))).toBe(true);
    expect(session.mayServe(3)).toBe(false);
    expect(session.mayServe(0)).toBe(false);
  });

  it('answers UNSUPPORTED_SASL_MECHANISM with the enabled list, then accepts PLAIN', () => {
    const session = new SecuritySession(config);
    expect(session.handshake('SCRAM-SHA-256', 1)).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
    expect(session.handshake('PLAIN', 1).errorCode).toBe(ErrorCode.NONE);
    expect(session.handshake('PLAIN', 1).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    expect(session.authenticate(Buffer.from('\0alice\0alice-pw')).errorCode).toBe(ErrorCode.NONE);
    expect(session.principal).toBe('User:alice');
    expect(session.mayServe(3)).toBe(true);
  });

  it('fails a wrong PLAIN password and marks the connection for closing', () => {
    const session = new SecuritySession(config);
    session.handshake('PLAIN', 1);
    const answer = session.authenticate(Buffer.from('\0alice\0wrong'));
    expect(answer.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(answer.errorMessage).toMatch(/Authentication failed/);
    expect(session.mustClose).toBe(true);
    expect(session.mayServe(3)).toBe(false);
  });

  it('answers ILLEGAL_SASL_STATE to SaslAuthenticate before a handshake', () => {
    const session = new SecuritySession(config);
    expect(session.authenticate(Buffer.from('\0alice\0alice-pw')).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    expect(session.mustClose).toBe(true);
  });

  it('accepts PLAIN for a user that only has a SCRAM credential', () => {
    const session = new SecuritySession(config);
    session.handshake('PLAIN', 1);
    expect(session.authenticate(Buffer.from('\0bob\0bob-pw')).errorCode).toBe(ErrorCode.NONE);
    expect(session.principal).toBe('User:bob');
  });

  it('is authenticated from the start without SASL, as the certificate principal or ANONYMOUS', () => {
    expect(new SecuritySession(null).principal).toBe('User:ANONYMOUS');
    expect(new SecuritySession(null, 'User:client-1').isAuthenticated).toBe(true);
    expect(new SecuritySession(null).handshake('PLAIN', 1).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
  });
});

describe('Authorizer', () => {
  const authorizer = new Authorizer(
    {
      superUsers: ['root'],
      acls: [
        { user: 'alice', resource: 'topic', prefix: 'logs-', operations: ['write'] },
        { user: '*', resource: 'group', prefix: 'public-', operations: ['read'] },
      ],
    },
    ['admin'],
  );

  it('allows by user, resource type and name prefix, and denies everything else', () => {
    expect(authorizer.authorize('User:alice', 'write', 'topic', 'logs-app')).toBe(true);
    expect(authorizer.authorize('User:alice', 'read', 'topic', 'logs-app')).toBe(false);
    expect(authorizer.authorize('User:alice', 'write', 'topic', 'metrics')).toBe(false);
    expect(authorizer.authorize('User:bob', 'write', 'topic', 'logs-app')).toBe(false);
    expect(authorizer.authorize('User:alice', 'write', 'group', 'logs-app')).toBe(false);
  });

  it('lets write, read, delete and alter imply describe, as Kafka does', () => {
    expect(authorizer.authorize('User:alice', 'describe', 'topic', 'logs-x')).toBe(true);
    expect(authorizer.authorize('User:alice', 'create', 'topic', 'logs-x')).toBe(false);
  });

  it('matches "*" for every principal and lets super users (file and flag) do anything', () => {
    expect(authorizer.authorize('User:ANONYMOUS', 'read', 'group', 'public-1')).toBe(true);
    expect(authorizer.authorize('User:root', 'delete', 'topic', 'x')).toBe(true);
    expect(authorizer.authorize('User:admin', 'alter', 'cluster', 'kafka-cluster')).toBe(true);
  });
});
