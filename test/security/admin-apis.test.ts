/**
 * The ACL and SCRAM admin APIs (DescribeAcls/CreateAcls/DeleteAcls, DescribeUserScramCredentials/
 * AlterUserScramCredentials) on a real `brook serve --sasl-users --acl` process: ACLs created
 * through the API are enforced like the file's rules (deny wins), credentials set through the API
 * log users in (PLAIN against the SCRAM credential, and a real SCRAM-SHA-256 exchange by kcat), and
 * both survive a restart (they live in the metadata log). Refusals carry Kafka's codes.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../src/client/client.js';
import * as createAcls from '../../src/protocol/apis/create-acls.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import * as deleteAcls from '../../src/protocol/apis/delete-acls.js';
import * as describeAcls from '../../src/protocol/apis/describe-acls.js';
import * as alterScram from '../../src/protocol/apis/alter-user-scram-credentials.js';
import * as describeScram from '../../src/protocol/apis/describe-user-scram-credentials.js';
import * as metadataApi from '../../src/protocol/apis/metadata.js';
import * as produceApi from '../../src/protocol/apis/produce.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { addUser } from '../../src/server/security/credentials.js';
import { start, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { AuthenticationRefused, loginPlain } from './acl-fixture.js';

const { NONE } = ErrorCode;
const kcatFound = spawnSync('kcat', ['-V']).status === 0;
const ALLOW = 3;
const DENY = 2;
const [TOPIC, CLUSTER] = [2, 4];
const [LITERAL, PREFIXED] = [3, 4];
const [READ, WRITE] = [3, 4];

let dir: string;
let server: ServerProcess;
const clients: KafkaClient[] = [];

async function startServe(): Promise<void> {
  server = await start({
    dataDir: path.join(dir, 'data'),
    args: ['--sasl-users', path.join(dir, 'users.json'), '--acl', path.join(dir, 'acl.json'), '--super-users', 'admin'],
  });
}

async function as(user: string, password = `${user}-pw`): Promise<KafkaClient> {
  const client = await loginPlain(server.address, user, password);
  clients.push(client);
  return client;
}

function acl(resourceType: number, resourceName: string, patternType: number, principal: string, operation: number, permissionType: number): createAcls.AclCreation {
  return { ...createAcls.defaultAclCreation(), resourceType, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType };
}

async function canDescribe(client: KafkaClient, topic: string): Promise<number> {
  const response = await client.call(metadataApi, { topics: [{ ...metadataApi.defaultMetadataRequestTopic(), name: topic }], allowAutoTopicCreation: false });
  return response.topics[0]!.errorCode;
}

async function produce(client: KafkaClient, topic: string): Promise<number> {
  const response = await client.call(produceApi, {
    acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from('x') }]) }] }],
  });
  return response.responses[0]!.partitionResponses[0]!.errorCode;
}

/** What AlterUserScramCredentials carries for a password (the client salts and hashes it). */
function upsertion(name: string, password: string, iterations = 8192, mechanism = 1): alterScram.ScramCredentialUpsertion {
  const salt = crypto.randomBytes(24);
  const saltedPassword = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return { ...alterScram.defaultScramCredentialUpsertion(), name, mechanism, iterations, salt, saltedPassword };
}

beforeAll(async () => {
  dir = tempDir('brook-admin-apis-');
  for (const user of ['admin', 'alice', 'eve']) addUser(path.join(dir, 'users.json'), user, 'PLAIN', `${user}-pw`);
  fs.writeFileSync(path.join(dir, 'acl.json'), JSON.stringify({
    acls: [{ user: 'alice', resource: 'topic', prefix: 'a-', operations: ['write', 'read'] }],
  }));
  await startServe();
  const admin = await as('admin');
  const created = await admin.call(createTopics, { topics: ['a-one', 'a-two', 'e-stuff'].map((name) => ({ ...createTopics.defaultCreatableTopic(), name, numPartitions: 1, replicationFactor: 1 })) });
  for (const topic of created.topics) expect(topic.errorCode).toBe(NONE);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

describe('ACL admin APIs', () => {
  it('lists the --acl file rules as bindings', async () => {
    const admin = await as('admin');
    const response = await admin.call(describeAcls, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect(response.errorCode).toBe(NONE);
    expect(response.resources.map((r) => [r.resourceType, r.resourceName, r.patternType, r.acls.map((a) => [a.principal, a.operation, a.permissionType])]))
      .toEqual([[TOPIC, 'a-', PREFIXED, [['User:alice', WRITE, ALLOW], ['User:alice', READ, ALLOW]]]]);
  });

  it('creates allow and deny bindings that the authorizer enforces at once; refuses what it cannot honour', async () => {
    const [admin, alice, eve] = [await as('admin'), await as('alice'), await as('eve')];
    expect(await canDescribe(eve, 'e-stuff')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const created = await admin.call(createAcls, { creations: [
      acl(TOPIC, 'e-', PREFIXED, 'User:eve', READ, ALLOW),
      acl(TOPIC, 'a-two', LITERAL, 'User:alice', WRITE, DENY),
      { ...acl(TOPIC, 'x', LITERAL, 'User:eve', READ, ALLOW), host: '10.0.0.1' },
      acl(5, 'txn', LITERAL, 'User:eve', WRITE, ALLOW),
      acl(CLUSTER, 'other', LITERAL, 'User:eve', 8, ALLOW),
    ] });
    expect(created.results.map((r) => r.errorCode)).toEqual([NONE, NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(created.results[2]!.errorMessage).toMatch(/host/);
    expect(await canDescribe(eve, 'e-stuff')).toBe(NONE); // READ implies DESCRIBE
    expect(await produce(alice, 'a-one')).toBe(NONE);
    expect(await produce(alice, 'a-two')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED); // deny wins over the file's allow
    const notAdmin = await alice.call(createAcls, { creations: [acl(TOPIC, 'a-', PREFIXED, 'User:alice', 2, ALLOW)] });
    expect(notAdmin.results[0]!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  it('deletes matching bindings (MATCH filter), keeps file rules and reports them', async () => {
    const admin = await as('admin');
    const deleted = await admin.call(deleteAcls, { filters: [{ ...deleteAcls.defaultDeleteAclsFilter(), resourceTypeFilter: TOPIC, resourceNameFilter: 'a-two', patternTypeFilter: 2, principalFilter: 'User:alice', hostFilter: null, operation: 1, permissionType: 1 }] });
    const matches = deleted.filterResults[0]!.matchingAcls.map((m) => [m.resourceName, m.patternType, m.permissionType, m.errorCode]);
    expect(matches).toContainEqual(['a-two', LITERAL, DENY, NONE]);
    expect(matches).toContainEqual(['a-', PREFIXED, ALLOW, ErrorCode.INVALID_REQUEST]);
    expect(await produce(await as('alice'), 'a-two')).toBe(NONE);
  });

  it('keeps created bindings across a restart', async () => {
    clients.splice(0).forEach((c) => c.destroy());
    expect(await server.stop()).toBe(0);
    await startServe();
    expect(await canDescribe(await as('eve'), 'e-stuff')).toBe(NONE);
  });
});

describe('SCRAM credential admin APIs', () => {
  it('sets a credential a new user logs in with, lists it, refuses bad ones with Kafka\'s codes', async () => {
    const admin = await as('admin');
    await expect(as('dave', 'dave-pw')).rejects.toThrow(AuthenticationRefused);
    const altered = await admin.call(alterScram, { deletions: [{ name: 'nobody', mechanism: 1 }], upsertions: [
      upsertion('dave', 'dave-pw'), upsertion('weak', 'x', 100), upsertion('odd', 'x', 8192, 3), upsertion('twice', 'a'), upsertion('twice', 'b'),
    ] });
    expect(Object.fromEntries(altered.results.map((r) => [r.user, r.errorCode]))).toEqual({
      nobody: ErrorCode.RESOURCE_NOT_FOUND, dave: NONE, weak: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      odd: ErrorCode.UNSUPPORTED_SASL_MECHANISM, twice: ErrorCode.DUPLICATE_RESOURCE,
    });
    await as('dave', 'dave-pw');
    await expect(as('dave', 'wrong')).rejects.toThrow(AuthenticationRefused);
    const described = await admin.call(describeScram, { users: null });
    expect(described.results.map((r) => [r.user, r.errorCode, r.credentialInfos])).toEqual([['dave', NONE, [{ mechanism: 1, iterations: 8192 }]]]);
    const unknown = await admin.call(describeScram, { users: [{ name: 'ghost' }] });
    expect(unknown.results[0]!.errorCode).toBe(ErrorCode.RESOURCE_NOT_FOUND);
    const eve = await as('eve');
    expect((await eve.call(alterScram, { deletions: [], upsertions: [upsertion('eve2', 'x')] })).results[0]!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  it.skipIf(!kcatFound)('lets kcat log in with SCRAM-SHA-256 using the stored credential, after a restart too', async () => {
    clients.splice(0).forEach((c) => c.destroy());
    expect(await server.stop()).toBe(0);
    await startServe();
    const login = (password: string) => spawnSync('kcat', ['-b', server.address, '-L', '-J', '-m', '5',
      '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=dave', '-X', `sasl.password=${password}`], { encoding: 'utf8', timeout: 30_000 });
    const ok = login('dave-pw');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).brokers).toHaveLength(1);
    expect(login('wrong').status).not.toBe(0);
  });

  it('deletes a credential: the user can no longer log in', async () => {
    const admin = await as('admin');
    const deleted = await admin.call(alterScram, { deletions: [{ name: 'dave', mechanism: 1 }], upsertions: [] });
    expect(deleted.results).toEqual([{ user: 'dave', errorCode: NONE, errorMessage: null }]);
    await expect(as('dave', 'dave-pw')).rejects.toThrow(AuthenticationRefused);
  });
});
