/**
 * The SASL users file (`--sasl-users`): who may log in, with which mechanism. JSON:
 *
 *   { "users": [
 *       { "name": "alice", "mechanism": "PLAIN", "password": "alice-secret" },
 *       { "name": "bob", "mechanism": "SCRAM-SHA-256", "iterations": 8192,
 *         "salt": "<base64>", "storedKey": "<base64>", "serverKey": "<base64>" } ] }
 *
 * PLAIN entries hold the password itself (PLAIN sends it anyway; protect the file). SCRAM entries
 * hold only Kafka's ScramCredential (salt, iterations, StoredKey, ServerKey), written by
 * `addUser` (the `users add` command); a user may have one entry per mechanism. PLAIN login also
 * works for a user who has only SCRAM entries: the password is checked against the SCRAM-SHA-256
 * (else -512) credential. Loaded once at start; read-only afterwards; main thread. SCRAM
 * credentials set with AlterUserScramCredentials (kept in the metadata log) are looked up first,
 * so an admin can add users and change passwords while the server runs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { InvalidConfigError } from '../../common/errors.js';
import { SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, scramCredential, type ScramCredential, type ScramMechanism } from './scram.js';
import type { StoredScramCredential } from '../../storage/metadata-security.js';

export type SaslMechanism = 'PLAIN' | ScramMechanism;
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', ...SCRAM_MECHANISMS];

export interface UserEntry {
  name: string;
  mechanism: SaslMechanism;
  password?: string;
  iterations?: number;
  salt?: string;
  storedKey?: string;
  serverKey?: string;
}

export interface UsersFile {
  users: UserEntry[];
}

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

export class UserStore {
  private readonly plain = new Map<string, string>();
  private readonly scram = new Map<string, ScramCredential>();
  private dynamic: () => readonly StoredScramCredential[] = () => [];

  constructor(file: UsersFile) {
    for (const entry of file.users) {
      if (entry.mechanism === 'PLAIN') {
        this.plain.set(entry.name, entry.password!);
      } else {
        this.scram.set(key(entry.mechanism, entry.name), {
          salt: Buffer.from(entry.salt!, 'base64'),
          iterations: entry.iterations!,
          storedKey: Buffer.from(entry.storedKey!, 'base64'),
          serverKey: Buffer.from(entry.serverKey!, 'base64'),
        });
      }
    }
  }

  static load(path: string): UserStore {
    return new UserStore(readUsersFile(path));
  }

  /** Where AlterUserScramCredentials keeps credentials (the Broker's metadata log). */
  useDynamicCredentials(source: () => readonly StoredScramCredential[]): void {
    this.dynamic = source;
  }

  /** The file's SCRAM entries, for DescribeUserScramCredentials. */
  fileScramCredentials(): { user: string; mechanism: ScramMechanism; iterations: number }[] {
    return [...this.scram.entries()].map(([k, credential]) => {
      const [mechanism, user] = k.split('\u0000') as [ScramMechanism, string];
      return { user, mechanism, iterations: credential.iterations };
    });
  }

  scramCredential(mechanism: ScramMechanism, username: string): ScramCredential | undefined {
    const stored = this.dynamic().find((c) => c.mechanism === mechanism && c.user === username);
    if (stored !== undefined) {
      return {
        salt: Buffer.from(stored.salt, 'base64'),
        iterations: stored.iterations,
        storedKey: Buffer.from(stored.storedKey, 'base64'),
        serverKey: Buffer.from(stored.serverKey, 'base64'),
      };
    }
    return this.scram.get(key(mechanism, username));
  }

  /** PLAIN check, constant-time in the password bytes. */
  checkPassword(username: string, password: string): boolean {
    const stored = this.plain.get(username);
    if (stored !== undefined) return sameBytes(Buffer.from(stored, 'utf8'), Buffer.from(password, 'utf8'));
    for (const mechanism of SCRAM_MECHANISMS) {
      const credential = this.scramCredential(mechanism, username);
      if (credential === undefined) continue;
      const candidate = scramCredential(mechanism, password, credential.iterations, credential.salt);
      return sameBytes(candidate.storedKey, credential.storedKey);
    }
    return false;
  }
}

function key(mechanism: string, username: string): string {
  return `${mechanism}\u0000${username}`;
}

/** Compares through SHA-256 digests so that different lengths take the same time as well. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const da = crypto.createHash('sha256').update(a).digest();
  const db = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(da, db) && a.length === b.length;
}

export function readUsersFile(path: string): UsersFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidConfigError(`users file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const users = (parsed as { users?: unknown }).users;
  if (!Array.isArray(users)) throw new InvalidConfigError(`users file ${path}: expected {"users": [...]}`);
  users.forEach((entry, index) => checkEntry(entry, `users file ${path}, entry ${index}`));
  return { users: users as UserEntry[] };
}

function checkEntry(entry: unknown, where: string): void {
  const e = entry as Partial<UserEntry>;
  if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || e.name.length === 0) {
    throw new InvalidConfigError(`${where}: needs a non-empty "name"`);
  }
  if (typeof e.mechanism !== 'string' || !isSaslMechanism(e.mechanism)) {
    throw new InvalidConfigError(`${where}: "mechanism" must be one of ${SASL_MECHANISMS.join(', ')}`);
  }
  if (e.mechanism === 'PLAIN') {
    if (typeof e.password !== 'string') throw new InvalidConfigError(`${where}: a PLAIN user needs "password"`);
    return;
  }
  for (const field of ['salt', 'storedKey', 'serverKey'] as const) {
    if (typeof e[field] !== 'string') throw new InvalidConfigError(`${where}: a SCRAM user needs "${field}" (base64)`);
  }
  if (!Number.isInteger(e.iterations) || e.iterations! < SCRAM_ITERATIONS_MIN) {
    throw new InvalidConfigError(`${where}: "iterations" must be an integer >= ${SCRAM_ITERATIONS_MIN}`);
  }
}

/**
 * Adds (or replaces) `name`'s entry for `mechanism` in the users file at `path`, creating the file
 * (mode 0600) when missing. SCRAM entries get a fresh random salt; the password is not stored.
 */
export function addUser(path: string, name: string, mechanism: SaslMechanism, password: string, iterations?: number): void {
  const file: UsersFile = fs.existsSync(path) ? readUsersFile(path) : { users: [] };
  let entry: UserEntry;
  if (mechanism === 'PLAIN') {
    entry = { name, mechanism, password };
  } else {
    const credential = scramCredential(mechanism, password, iterations);
    entry = {
      name,
      mechanism,
      iterations: credential.iterations,
      salt: credential.salt.toString('base64'),
      storedKey: credential.storedKey.toString('base64'),
      serverKey: credential.serverKey.toString('base64'),
    };
  }
  const users = file.users.filter((u) => !(u.name === name && u.mechanism === mechanism));
  users.push(entry);
  const temp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(temp, JSON.stringify({ users }, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, path);
}
