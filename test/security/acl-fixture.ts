/**
 * For the authorization tests: one `brook serve` process with SASL/PLAIN users and an ACL file
 * that grants each user a different slice, and our own KafkaClient logged in as any of them.
 * KafkaClient has no SASL support, so `loginPlain` sends SaslHandshake v1 + SaslAuthenticate
 * itself over the client's connection (both are served before authentication). Not a test file.
 *
 *   user   topics                                  groups                 cluster
 *   alice  a-*: create write read delete alter     a-*: read delete       describe
 *   bob    a-*: describe;  b-*: read               a-*: describe          -
 *   carol  c-*: write                              c-*: read              -
 *   eve    (nothing of her own)                    -                      -
 *   *      pub-*: describe                         -                      -
 *   root   super user from the ACL file;  admin: super user from --super-users
 */
import fs from 'node:fs';
import path from 'node:path';
import { KafkaClient } from '../../src/client/client.js';
import * as saslAuthenticate from '../../src/protocol/apis/sasl-authenticate.js';
import * as saslHandshake from '../../src/protocol/apis/sasl-handshake.js';
import * as createTopics from '../../src/protocol/apis/create-topics.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { addUser } from '../../src/server/security/credentials.js';
import { startSecureServe, type SecureServe } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

export const USERS = ['alice', 'bob', 'carol', 'eve', 'root', 'admin'] as const;
export type User = (typeof USERS)[number];

export const { NONE, TOPIC_AUTHORIZATION_FAILED: TAF, GROUP_AUTHORIZATION_FAILED: GAF, CLUSTER_AUTHORIZATION_FAILED: CAF } = ErrorCode;

export const ACLS = {
  superUsers: ['root'],
  acls: [
    { user: 'alice', resource: 'topic', prefix: 'a-', operations: ['create', 'write', 'read', 'delete', 'alter'] },
    { user: 'alice', resource: 'group', prefix: 'a-', operations: ['read', 'delete'] },
    { user: 'alice', resource: 'cluster', prefix: '', operations: ['describe'] },
    { user: 'bob', resource: 'topic', prefix: 'a-', operations: ['describe'] },
    { user: 'bob', resource: 'topic', prefix: 'b-', operations: ['read'] },
    { user: 'bob', resource: 'group', prefix: 'a-', operations: ['describe'] },
    { user: 'carol', resource: 'topic', prefix: 'c-', operations: ['write'] },
    { user: 'carol', resource: 'group', prefix: 'c-', operations: ['read'] },
    { user: '*', resource: 'topic', prefix: 'pub-', operations: ['describe'] },
  ],
};

export function passwordOf(user: string): string {
  return `${user}-pw`;
}

export class AuthenticationRefused extends Error {}

/** Connects and logs in with SASL/PLAIN (SaslHandshake v1, then one SaslAuthenticate). */
export async function loginPlain(address: string, user: string, password: string): Promise<KafkaClient> {
  const client = await KafkaClient.connect(address, { clientId: `acl-test-${user}` });
  try {
    const handshake = await client.call(saslHandshake, { mechanism: 'PLAIN' });
    if (handshake.errorCode !== NONE) throw new AuthenticationRefused(`SaslHandshake: error ${handshake.errorCode}`);
    const answer = await client.call(saslAuthenticate, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`, 'utf8') });
    if (answer.errorCode !== NONE) throw new AuthenticationRefused(`SaslAuthenticate: error ${answer.errorCode} ${answer.errorMessage}`);
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}

export interface AclServe {
  server: SecureServe;
  address: string;
  dir: string;
  /** One logged-in client per user, opened once and reused by every test of the file. */
  as(user: User): KafkaClient;
  stop(): Promise<void>;
}

/** Starts the server, logs every user in, and creates `topics` (name -> partitions) as admin. */
export async function startAclServe(topics: Record<string, number>): Promise<AclServe> {
  const dir = tempDir('brook-acl-');
  const usersFile = path.join(dir, 'users.json');
  for (const user of USERS) addUser(usersFile, user, 'PLAIN', passwordOf(user));
  const aclFile = path.join(dir, 'acl.json');
  fs.writeFileSync(aclFile, JSON.stringify(ACLS));
  const server = await startSecureServe(
    ['--sasl-users', usersFile, '--sasl-mechanisms', 'PLAIN', '--acl', aclFile, '--super-users', 'admin'],
    // A lone member's JoinGroup answers at once instead of after Kafka's 3 s default.
    { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' },
  );
  const address = `${server.host}:${server.port}`;
  const clients = new Map<User, KafkaClient>();
  const stop = async (): Promise<void> => {
    for (const client of clients.values()) client.destroy();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const user of USERS) clients.set(user, await loginPlain(address, user, passwordOf(user)));
    const created = await clients.get('admin')!.createTopics({
      topics: Object.entries(topics).map(([name, numPartitions]) => ({ ...createTopics.defaultCreatableTopic(), name, numPartitions, replicationFactor: 1 })),
    });
    for (const topic of created.topics) {
      if (topic.errorCode !== NONE) throw new Error(`setup: creating ${topic.name} failed with error ${topic.errorCode}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, address, dir, as: (user) => clients.get(user)!, stop };
}
