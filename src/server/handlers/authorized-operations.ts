/**
 * KIP-430 authorized-operations bit fields (Metadata v8+, DescribeGroups v3+, DescribeCluster):
 * bit `1 << op` is set for every operation the principal may do on the resource, op being Kafka's
 * AclOperation code. Brook's authorizer knows six operations; Kafka's DESCRIBE_CONFIGS and
 * ALTER_CONFIGS are checked as Brook checks DescribeConfigs and AlterConfigs (describe, alter).
 * Kafka answers INT32_MIN ("not requested") unless the request asked for them.
 */
import type { AclOperation, AclResourceType } from '../security/authorizer.js';
import { allowed } from '../security/session.js';
import type { RequestContext } from '../handler.js';

/** The value of an authorized-operations field nobody asked for (Kafka's -2147483648). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Kafka's AclOperation codes. */
export const AclOperationCode = {
  ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
} as const;

/** Each resource type's operations as Kafka lists them, with the Brook check standing for each. */
const OPERATIONS: Record<AclResourceType, [number, AclOperation][]> = {
  topic: [
    [AclOperationCode.READ, 'read'], [AclOperationCode.WRITE, 'write'], [AclOperationCode.CREATE, 'create'],
    [AclOperationCode.DELETE, 'delete'], [AclOperationCode.ALTER, 'alter'], [AclOperationCode.DESCRIBE, 'describe'],
    [AclOperationCode.DESCRIBE_CONFIGS, 'describe'], [AclOperationCode.ALTER_CONFIGS, 'alter'],
  ],
  group: [[AclOperationCode.READ, 'read'], [AclOperationCode.DESCRIBE, 'describe'], [AclOperationCode.DELETE, 'delete']],
  cluster: [
    [AclOperationCode.CREATE, 'create'], [AclOperationCode.ALTER, 'alter'], [AclOperationCode.DESCRIBE, 'describe'],
    [AclOperationCode.DESCRIBE_CONFIGS, 'describe'], [AclOperationCode.ALTER_CONFIGS, 'alter'],
  ],
};

/** The bit field for `name`, or the "omitted" value when `requested` is false. */
export function authorizedOperations(context: RequestContext, requested: boolean, resourceType: AclResourceType, name: string): number {
  if (!requested) return AUTHORIZED_OPERATIONS_OMITTED;
  let bits = 0;
  for (const [code, operation] of OPERATIONS[resourceType]) {
    if (allowed(context, operation, resourceType, name)) bits |= 1 << code;
  }
  return bits;
}
