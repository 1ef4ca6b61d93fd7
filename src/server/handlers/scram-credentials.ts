/**
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), v0 (KIP-554). Credentials
 * set here are kept in the metadata log (they survive restarts) and used by SASL/SCRAM (and PLAIN)
 * logins at once; they take precedence over a `--sasl-users` file entry for the same user and
 * mechanism. The file's SCRAM users are listed too; deleting one only the file can remove is
 * answered with an error, as is every other refusal, per user, with Kafka's codes:
 *   mechanism other than 1 (SCRAM-SHA-256) / 2 (SCRAM-SHA-512)  UNSUPPORTED_SASL_MECHANISM
 *   iterations outside 4096..16384, empty name or salt           UNACCEPTABLE_CREDENTIAL
 *   a user named twice in one request                            DUPLICATE_RESOURCE
 *   deleting or describing a credential that does not exist      RESOURCE_NOT_FOUND
 * Describing needs DESCRIBE on the cluster, altering ALTER (else CLUSTER_AUTHORIZATION_FAILED).
 */
import * as describe from '../../protocol/apis/describe-user-scram-credentials.js';
import * as alter from '../../protocol/apis/alter-user-scram-credentials.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { SecurityEvent, StoredScramCredential } from '../../storage/metadata-security.js';
import { credentialFromSaltedPassword, SCRAM_ITERATIONS_MIN, type ScramMechanism } from '../security/scram.js';
import { allowed } from '../security/session.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { CLUSTER_RESOURCE_NAME } from './cluster.js';
import { kafkaErrorOf } from './errors.js';

/** Kafka's ScramMechanism.maxIterations. */
const SCRAM_ITERATIONS_MAX = 16384;
const MECHANISMS: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };
const MECHANISM_CODES: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

interface Listed {
  user: string;
  mechanism: ScramMechanism;
  iterations: number;
  fromFile: boolean;
}

/** Every SCRAM credential: stored ones, then the file's not overridden by one. */
function listCredentials(context: RequestContext): Listed[] {
  const stored = context.server.broker.securityMetadata?.scramCredentials() ?? [];
  const listed: Listed[] = stored.map((c) => ({ user: c.user, mechanism: c.mechanism, iterations: c.iterations, fromFile: false }));
  for (const c of context.server.security?.users?.fileScramCredentials() ?? []) {
    if (!listed.some((l) => l.user === c.user && l.mechanism === c.mechanism)) listed.push({ ...c, fromFile: true });
  }
  return listed;
}

export const describeUserScramCredentialsHandler = defineHandler<describe.DescribeUserScramCredentialsRequest, describe.DescribeUserScramCredentialsResponse>({
  codec: describe,
  exclusive: false,
  handle(request, context) {
    if (!allowed(context, 'describe', 'cluster', CLUSTER_RESOURCE_NAME)) {
      return { ...describe.defaultDescribeUserScramCredentialsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
    }
    const listed = listCredentials(context);
    const users = request.users === null || request.users.length === 0 ? [...new Set(listed.map((l) => l.user))].sort() : request.users.map((u) => u.name);
    const counts = new Map<string, number>();
    for (const user of users) counts.set(user, (counts.get(user) ?? 0) + 1);
    const results = [...new Set(users)].map((user): describe.DescribeUserScramCredentialsResult => {
      const base = { ...describe.defaultDescribeUserScramCredentialsResult(), user, errorMessage: null };
      if (counts.get(user)! > 1) return { ...base, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `user '${user}' is named more than once` };
      const credentialInfos = listed.filter((l) => l.user === user).map((l) => ({ mechanism: MECHANISM_CODES[l.mechanism], iterations: l.iterations }));
      if (credentialInfos.length === 0) return { ...base, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist' };
      return { ...base, credentialInfos };
    });
    return { ...describe.defaultDescribeUserScramCredentialsResponse(), errorMessage: null, results };
  },
  errorResponse: (errorCode) => ({ ...describe.defaultDescribeUserScramCredentialsResponse(), errorCode }),
});

export const alterUserScramCredentialsHandler = defineHandler<alter.AlterUserScramCredentialsRequest, alter.AlterUserScramCredentialsResponse>({
  codec: alter,
  exclusive: true,
  handle(request, context) {
    const names = [...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)];
    const users = [...new Set(names)];
    const answer = (errors: Map<string, { errorCode: number; errorMessage: string | null }>): alter.AlterUserScramCredentialsResponse => ({
      ...alter.defaultAlterUserScramCredentialsResponse(),
      results: users.map((user) => ({ ...alter.defaultAlterUserScramCredentialsResult(), user, ...(errors.get(user) ?? { errorCode: ErrorCode.NONE, errorMessage: null }) })),
    });
    const store = context.server.broker.securityMetadata;
    const refusal = !allowed(context, 'alter', 'cluster', CLUSTER_RESOURCE_NAME)
      ? { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }
      : store === undefined ? { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'this broker has no metadata log to keep credentials in' } : null;
    if (refusal !== null) return answer(new Map(users.map((u) => [u, refusal])));
    const errors = new Map<string, { errorCode: number; errorMessage: string }>();
    const fail = (user: string, errorCode: number, errorMessage: string): void => {
      if (!errors.has(user)) errors.set(user, { errorCode, errorMessage });
    };
    const listed = listCredentials(context);
    for (const user of users) if (names.filter((n) => n === user).length > 1) fail(user, ErrorCode.DUPLICATE_RESOURCE, `user '${user}' appears more than once in the request`);
    const events: { user: string; event: SecurityEvent }[] = [];
    for (const d of request.deletions) {
      const mechanism = MECHANISMS[d.mechanism];
      if (mechanism === undefined) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${d.mechanism}`);
      else if (d.name === '') fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'the user name is empty');
      else {
        const existing = listed.find((l) => l.user === d.name && l.mechanism === mechanism);
        if (existing === undefined) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        else if (existing.fromFile) fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'this credential comes from the --sasl-users file; edit the file to remove it');
        else events.push({ user: d.name, event: { type: 'deleteScramCredential', user: d.name, mechanism } });
      }
    }
    for (const u of request.upsertions) {
      const mechanism = MECHANISMS[u.mechanism];
      if (mechanism === undefined) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${u.mechanism}`);
      else if (u.iterations < SCRAM_ITERATIONS_MIN || u.iterations > SCRAM_ITERATIONS_MAX) {
        fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations ${u.iterations} outside [${SCRAM_ITERATIONS_MIN}, ${SCRAM_ITERATIONS_MAX}]`);
      } else if (u.name === '' || u.salt.length === 0 || u.saltedPassword.length === 0) {
        fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'user name, salt and salted password must not be empty');
      } else {
        events.push({ user: u.name, event: { type: 'setScramCredential', credential: stored(u.name, mechanism, u.iterations, u.salt, u.saltedPassword) } });
      }
    }
    // Only users with no error change, all at once.
    const accepted = events.filter((e) => !errors.has(e.user)).map((e) => e.event);
    try {
      store!.alterSecurity(accepted);
    } catch (error) {
      const failure = kafkaErrorOf(error);
      for (const user of users) fail(user, failure.errorCode, failure.errorMessage);
    }
    return answer(errors);
  },
  errorResponse: () => alter.defaultAlterUserScramCredentialsResponse(),
});

function stored(user: string, mechanism: ScramMechanism, iterations: number, salt: Buffer, saltedPassword: Buffer): StoredScramCredential {
  const credential = credentialFromSaltedPassword(mechanism, saltedPassword, salt, iterations);
  return {
    user, mechanism, iterations,
    salt: credential.salt.toString('base64'),
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
  };
}
