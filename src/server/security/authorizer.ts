/**
 * Topic-, group- and cluster-level authorization (`--acl <file>`, `--super-users a,b`), a subset
 * of Kafka's StandardAuthorizer: rules from the file (allow only, matched by resource-name prefix)
 * plus ACL bindings created with CreateAcls (kept in the metadata log; literal or prefixed names,
 * allow or deny), and once an ACL file is given everything not allowed is denied. As in Kafka, a
 * matching deny wins over any allow, and super users are never denied. The file's rules are
 * fixed at load; the bindings are read live from their store. Main thread.
 *
 * ACL file (JSON; a bare array of rules is accepted too):
 *
 *   { "superUsers": ["admin"],
 *     "acls": [
 *       { "user": "alice", "resource": "topic", "prefix": "logs-", "operations": ["write", "describe"] },
 *       { "user": "*",     "resource": "group", "prefix": "",      "operations": ["read"] } ] }
 *
 * `user` is a name ("alice" or "User:alice") or "*" for every principal, ANONYMOUS included.
 * `prefix` "" matches every name; "resource": "cluster" rules ignore the prefix.
 * As in Kafka, read, write, delete and alter each imply describe (a producer that may write a
 * topic may also see it in Metadata).
 */
import fs from 'node:fs';
import { InvalidConfigError } from '../../common/errors.js';
import type { AclBinding } from '../../storage/metadata-security.js';

export type AclOperation = 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe';
export type AclResourceType = 'topic' | 'group' | 'cluster';
export const ACL_OPERATIONS: readonly AclOperation[] = ['read', 'write', 'create', 'delete', 'alter', 'describe'];
const RESOURCE_TYPES: readonly AclResourceType[] = ['topic', 'group', 'cluster'];
const IMPLY_DESCRIBE: ReadonlySet<AclOperation> = new Set(['read', 'write', 'delete', 'alter']);

/** Kafka's principal string: "User:<name>"; "User:ANONYMOUS" before or without authentication. */
export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

export interface AclRule {
  user: string;
  resource: AclResourceType;
  prefix: string;
  operations: AclOperation[];
}

export interface AclFile {
  superUsers?: string[];
  acls: AclRule[];
}

export class Authorizer {
  private readonly superUsers: ReadonlySet<string>;
  private readonly rules: readonly AclRule[];
  private bindings: () => readonly AclBinding[] = () => [];

  constructor(file: AclFile, extraSuperUsers: readonly string[] = []) {
    this.superUsers = new Set([...(file.superUsers ?? []), ...extraSuperUsers].map(asPrincipal));
    this.rules = file.acls.map((rule) => ({ ...rule, user: rule.user === '*' ? '*' : asPrincipal(rule.user) }));
  }

  static load(path: string, extraSuperUsers: readonly string[] = []): Authorizer {
    return new Authorizer(readAclFile(path), extraSuperUsers);
  }

  /** Where the CreateAcls bindings live (the Broker's metadata log); read on every check. */
  useBindings(source: () => readonly AclBinding[]): void {
    this.bindings = source;
  }

  /** The file's rules as the ACL bindings DescribeAcls lists (one per operation, all allow). */
  fileBindings(): AclBinding[] {
    return this.rules.flatMap((rule) => rule.operations.map((operation): AclBinding => ({
      principal: rule.user === '*' ? 'User:*' : rule.user,
      host: '*',
      resourceType: rule.resource,
      resourceName: rule.resource === 'cluster' ? 'kafka-cluster' : rule.prefix === '' ? '*' : rule.prefix,
      patternType: rule.resource === 'cluster' || rule.prefix === '' ? 'literal' : 'prefixed',
      operation,
      permission: 'allow',
    })));
  }

  authorize(principal: string, operation: AclOperation, resourceType: AclResourceType, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    const bindings = this.bindings().filter((b) => b.resourceType === resourceType && principalMatches(b.principal, principal) && nameMatches(b, name));
    if (bindings.some((b) => b.permission === 'deny' && (b.operation === operation || b.operation === 'all'))) return false;
    if (bindings.some((b) => b.permission === 'allow' && grants(b.operation, operation))) return true;
    return this.rules.some(
      (rule) =>
        (rule.user === '*' || rule.user === principal) &&
        rule.resource === resourceType &&
        (resourceType === 'cluster' || name.startsWith(rule.prefix)) &&
        rule.operations.some((op) => grants(op, operation)),
    );
  }

  /** True when `principal` may do `operation` on at least one resource of the type (InitProducerId). */
  authorizeAny(principal: string, operation: AclOperation, resourceType: AclResourceType): boolean {
    if (this.superUsers.has(principal)) return true;
    const allowedBinding = this.bindings().some((b) => b.permission === 'allow' && b.resourceType === resourceType
      && principalMatches(b.principal, principal) && (b.operation === operation || b.operation === 'all'));
    return allowedBinding || this.rules.some((rule) => (rule.user === '*' || rule.user === principal) && rule.resource === resourceType && rule.operations.includes(operation));
  }
}

/** Kafka: an allowed READ, WRITE, DELETE or ALTER implies DESCRIBE; ALL grants everything. */
function grants(granted: AclOperation | 'all', wanted: AclOperation): boolean {
  return granted === 'all' || granted === wanted || (wanted === 'describe' && IMPLY_DESCRIBE.has(granted));
}

function principalMatches(bound: string, principal: string): boolean {
  return bound === 'User:*' || bound === principal;
}

/** Literal: the name itself or "*"; prefixed: names starting with it (Kafka's ResourcePattern). */
export function nameMatches(binding: Pick<AclBinding, 'resourceName' | 'patternType'>, name: string): boolean {
  if (binding.patternType === 'prefixed') return name.startsWith(binding.resourceName);
  return binding.resourceName === '*' || binding.resourceName === name;
}

function asPrincipal(user: string): string {
  return user.startsWith('User:') ? user : userPrincipal(user);
}

export function readAclFile(path: string): AclFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidConfigError(`ACL file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const file: AclFile = Array.isArray(parsed) ? { acls: parsed as AclRule[] } : (parsed as AclFile);
  if (typeof file !== 'object' || file === null || !Array.isArray(file.acls)) {
    throw new InvalidConfigError(`ACL file ${path}: expected {"acls": [...]} or an array of rules`);
  }
  if (file.superUsers !== undefined && (!Array.isArray(file.superUsers) || !file.superUsers.every((u) => typeof u === 'string'))) {
    throw new InvalidConfigError(`ACL file ${path}: "superUsers" must be an array of names`);
  }
  file.acls.forEach((rule, index) => checkRule(rule, `ACL file ${path}, rule ${index}`));
  return { superUsers: file.superUsers, acls: file.acls.map((rule) => ({ ...rule, prefix: rule.prefix ?? '' })) };
}

function checkRule(rule: Partial<AclRule>, where: string): void {
  if (typeof rule !== 'object' || rule === null) throw new InvalidConfigError(`${where}: not an object`);
  if (typeof rule.user !== 'string' || rule.user.length === 0) throw new InvalidConfigError(`${where}: needs "user" (a name or "*")`);
  if (!RESOURCE_TYPES.includes(rule.resource as AclResourceType)) {
    throw new InvalidConfigError(`${where}: "resource" must be one of ${RESOURCE_TYPES.join(', ')}`);
  }
  if (rule.prefix !== undefined && typeof rule.prefix !== 'string') throw new InvalidConfigError(`${where}: "prefix" must be a string`);
  if (!Array.isArray(rule.operations) || !rule.operations.every((op) => ACL_OPERATIONS.includes(op))) {
    throw new InvalidConfigError(`${where}: "operations" must be a list of ${ACL_OPERATIONS.join(', ')}`);
  }
}
