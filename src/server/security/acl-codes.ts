/**
 * Kafka's ACL vocabulary on the wire (the int8 codes of ResourceType, PatternType, AclOperation and
 * AclPermissionType) to Brook's ACL bindings and back, what a binding Brook can honour looks like,
 * and Kafka's filter matching (AclBindingFilter.matches) for DescribeAcls and DeleteAcls.
 */
import type { AclBinding } from '../../storage/metadata-security.js';
import { nameMatches } from './authorizer.js';

export const ResourceTypeCode = { ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4 } as const;
export const PatternTypeCode = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const PermissionCode = { ANY: 1, DENY: 2, ALLOW: 3 } as const;
export const OperationCode = { ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8 } as const;
export const CLUSTER_NAME = 'kafka-cluster';

const RESOURCE_TYPES: Record<number, AclBinding['resourceType']> = { 2: 'topic', 3: 'group', 4: 'cluster' };
const PATTERN_TYPES: Record<number, AclBinding['patternType']> = { 3: 'literal', 4: 'prefixed' };
const OPERATIONS: Record<number, AclBinding['operation']> = { 2: 'all', 3: 'read', 4: 'write', 5: 'create', 6: 'delete', 7: 'alter', 8: 'describe' };
const PERMISSIONS: Record<number, AclBinding['permission']> = { 2: 'deny', 3: 'allow' };

const codeOf = <T extends string>(table: Record<number, T>, value: T): number => Number(Object.entries(table).find(([, v]) => v === value)![0]);

/** The wire fields of one ACL (CreateAcls' AclCreation, DeleteAcls' matching ACL). */
export interface WireAcl {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A binding from CreateAcls, or why Brook cannot honour it (answered as INVALID_REQUEST). */
export function bindingFromWire(acl: WireAcl): AclBinding | string {
  const resourceType = RESOURCE_TYPES[acl.resourceType];
  const patternType = PATTERN_TYPES[acl.patternType];
  const operation = OPERATIONS[acl.operation];
  const permission = PERMISSIONS[acl.permissionType];
  if (resourceType === undefined) return `resource type ${acl.resourceType}: Brook authorizes topics (2), groups (3) and the cluster (4)`;
  if (patternType === undefined) return `pattern type ${acl.patternType}: an ACL is LITERAL (3) or PREFIXED (4)`;
  if (operation === undefined) return `operation ${acl.operation}: Brook checks ALL, READ, WRITE, CREATE, DELETE, ALTER and DESCRIBE (2-8)`;
  if (permission === undefined) return `permission type ${acl.permissionType}: an ACL is DENY (2) or ALLOW (3)`;
  if (!/^User:.+$/.test(acl.principal)) return `principal '${acl.principal}': expected User:<name> or User:*`;
  if (acl.host !== '*') return `host '${acl.host}': Brook matches ACLs on principals only; use '*'`;
  if (acl.resourceName === '') return 'resource name is empty';
  if (resourceType === 'cluster' && (acl.resourceName !== CLUSTER_NAME || patternType !== 'literal')) {
    return `the cluster resource is LITERAL '${CLUSTER_NAME}'`;
  }
  return { principal: acl.principal, host: '*', resourceType, resourceName: acl.resourceName, patternType, operation, permission };
}

export function bindingToWire(binding: AclBinding): WireAcl {
  return {
    resourceType: codeOf(RESOURCE_TYPES, binding.resourceType),
    resourceName: binding.resourceName,
    patternType: codeOf(PATTERN_TYPES, binding.patternType),
    principal: binding.principal,
    host: binding.host,
    operation: codeOf(OPERATIONS, binding.operation),
    permissionType: codeOf(PERMISSIONS, binding.permission),
  };
}

/** DescribeAcls' and DeleteAcls' filter. Null strings and the ANY codes match everything. */
export interface WireAclFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** Kafka's AclBindingFilter.matches (MATCH: the bindings that would apply to the named resource). */
export function filterMatches(filter: WireAclFilter, binding: AclBinding): boolean {
  const wire = bindingToWire(binding);
  if (filter.resourceTypeFilter !== ResourceTypeCode.ANY && filter.resourceTypeFilter !== wire.resourceType) return false;
  if (filter.operation !== OperationCode.ANY && filter.operation !== wire.operation) return false;
  if (filter.permissionType !== PermissionCode.ANY && filter.permissionType !== wire.permissionType) return false;
  if (filter.principalFilter !== null && filter.principalFilter !== binding.principal) return false;
  if (filter.hostFilter !== null && filter.hostFilter !== binding.host) return false;
  const pattern = filter.patternTypeFilter;
  if (pattern !== PatternTypeCode.ANY && pattern !== PatternTypeCode.MATCH && pattern !== wire.patternType) return false;
  if (filter.resourceNameFilter === null) return true;
  if (pattern === PatternTypeCode.MATCH) return nameMatches(binding, filter.resourceNameFilter);
  return filter.resourceNameFilter === binding.resourceName;
}

/** A filter Kafka refuses: unknown codes (0 is UNKNOWN), or MATCH/ANY patterns in the wrong place. */
export function filterProblem(filter: WireAclFilter): string | null {
  if (!(filter.resourceTypeFilter >= 1 && filter.resourceTypeFilter <= 7)) return `resource type filter ${filter.resourceTypeFilter} is not a known type`;
  if (!(filter.patternTypeFilter >= 1 && filter.patternTypeFilter <= 4)) return `pattern type filter ${filter.patternTypeFilter} is not a known type`;
  if (!(filter.operation >= 1 && filter.operation <= 14)) return `operation ${filter.operation} is not a known operation`;
  if (!(filter.permissionType >= 1 && filter.permissionType <= 3)) return `permission type ${filter.permissionType} is not a known type`;
  return null;
}
