/**
 * DescribeAcls (29), CreateAcls (30), DeleteAcls (31), v0-v3 (KIP-140; v1 adds pattern types,
 * KIP-290). ACLs created here are the same kind of rule as the `--acl` file's, evaluated by the same
 * authorizer (security/authorizer.ts), and kept in the metadata log so they survive restarts.
 *
 * As in Kafka: without an authorizer (no `--acl`) every call answers SECURITY_DISABLED; creating and
 * deleting need ALTER on the cluster, describing DESCRIBE (else CLUSTER_AUTHORIZATION_FAILED). A
 * binding Brook cannot honour (another resource type, a host other than '*', an operation Brook
 * never checks) is refused with INVALID_REQUEST and a message saying why. DescribeAcls also lists
 * the file's rules (one allow binding per operation); DeleteAcls reports file rules it matches with
 * INVALID_REQUEST: they come from the file, and only editing it removes them.
 */
import * as create from '../../protocol/apis/create-acls.js';
import * as describe from '../../protocol/apis/describe-acls.js';
import * as del from '../../protocol/apis/delete-acls.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { aclKey, type AclBinding, type SecurityEvent, type SecurityMetadataStore } from '../../storage/metadata-security.js';
import type { Authorizer } from '../security/authorizer.js';
import { bindingFromWire, bindingToWire, CLUSTER_NAME, filterMatches, filterProblem } from '../security/acl-codes.js';
import { allowed } from '../security/session.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { kafkaErrorOf } from './errors.js';

const NO_AUTHORIZER = 'No Authorizer is configured on the broker (start it with --acl)';

/** The authorizer and store when ACLs can be used, else the error every answer carries. */
function aclContext(context: RequestContext, operation: 'alter' | 'describe'): { authorizer: Authorizer; store: SecurityMetadataStore } | { errorCode: number; errorMessage: string } {
  const authorizer = context.server.security?.authorizer ?? null;
  const store = context.server.broker.securityMetadata;
  if (authorizer === null || store === undefined) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER };
  if (!allowed(context, operation, 'cluster', CLUSTER_NAME)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  return { authorizer, store };
}

export const createAclsHandler = defineHandler<create.CreateAclsRequest, create.CreateAclsResponse>({
  codec: create,
  exclusive: true,
  handle(request, context) {
    const acl = aclContext(context, 'alter');
    const result = (errorCode: number, errorMessage: string | null): create.AclCreationResult => ({ ...create.defaultAclCreationResult(), errorCode, errorMessage });
    if ('errorCode' in acl) return { ...create.defaultCreateAclsResponse(), results: request.creations.map(() => result(acl.errorCode, acl.errorMessage)) };
    const parsed = request.creations.map((c) => bindingFromWire({ ...c, patternType: c.resourcePatternType }));
    const events: SecurityEvent[] = parsed.filter((b): b is AclBinding => typeof b !== 'string').map((binding) => ({ type: 'createAcl', acl: binding }));
    let stored: { errorCode: number; errorMessage: string | null } = { errorCode: ErrorCode.NONE, errorMessage: null };
    try {
      acl.store.alterSecurity(events);
    } catch (error) {
      stored = kafkaErrorOf(error);
    }
    const results = parsed.map((b) => (typeof b === 'string' ? result(ErrorCode.INVALID_REQUEST, b) : result(stored.errorCode, stored.errorMessage)));
    return { ...create.defaultCreateAclsResponse(), results };
  },
  errorResponse: () => create.defaultCreateAclsResponse(),
});

export const describeAclsHandler = defineHandler<describe.DescribeAclsRequest, describe.DescribeAclsResponse>({
  codec: describe,
  exclusive: false,
  handle(request, context) {
    const acl = aclContext(context, 'describe');
    if ('errorCode' in acl) return { ...describe.defaultDescribeAclsResponse(), ...acl };
    const problem = filterProblem(request);
    if (problem !== null) return { ...describe.defaultDescribeAclsResponse(), errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
    const matching = [...acl.authorizer.fileBindings(), ...acl.store.acls()].filter((b) => filterMatches(request, b));
    const resources = new Map<string, describe.DescribeAclsResource>();
    for (const binding of matching) {
      const wire = bindingToWire(binding);
      const key = `${wire.resourceType}\u0000${wire.patternType}\u0000${wire.resourceName}`;
      let resource = resources.get(key);
      if (resource === undefined) {
        resource = { ...describe.defaultDescribeAclsResource(), resourceType: wire.resourceType, resourceName: wire.resourceName, patternType: wire.patternType, acls: [] };
        resources.set(key, resource);
      }
      if (!resource.acls.some((a) => a.principal === wire.principal && a.operation === wire.operation && a.permissionType === wire.permissionType)) {
        resource.acls.push({ ...describe.defaultAclDescription(), principal: wire.principal, host: wire.host, operation: wire.operation, permissionType: wire.permissionType });
      }
    }
    return { ...describe.defaultDescribeAclsResponse(), errorMessage: null, resources: [...resources.values()] };
  },
  errorResponse: (errorCode) => ({ ...describe.defaultDescribeAclsResponse(), errorCode }),
});

export const deleteAclsHandler = defineHandler<del.DeleteAclsRequest, del.DeleteAclsResponse>({
  codec: del,
  exclusive: true,
  handle(request, context) {
    const acl = aclContext(context, 'alter');
    const filterResult = (errorCode: number, errorMessage: string | null, matchingAcls: del.DeleteAclsMatchingAcl[] = []): del.DeleteAclsFilterResult =>
      ({ ...del.defaultDeleteAclsFilterResult(), errorCode, errorMessage, matchingAcls });
    if ('errorCode' in acl) return { ...del.defaultDeleteAclsResponse(), filterResults: request.filters.map(() => filterResult(acl.errorCode, acl.errorMessage)) };
    const dynamic = acl.store.acls();
    const fromFile = acl.authorizer.fileBindings();
    const deleted = new Map<string, AclBinding>();
    const results = request.filters.map((filter) => {
      const problem = filterProblem(filter);
      if (problem !== null) return filterResult(ErrorCode.INVALID_REQUEST, problem);
      const matches = (binding: AclBinding, errorCode: number, errorMessage: string | null): del.DeleteAclsMatchingAcl =>
        ({ ...del.defaultDeleteAclsMatchingAcl(), ...bindingToWire(binding), errorCode, errorMessage });
      const found = dynamic.filter((b) => filterMatches(filter, b));
      for (const binding of found) deleted.set(aclKey(binding), binding);
      const fileMatches = fromFile.filter((b) => filterMatches(filter, b))
        .map((b) => matches(b, ErrorCode.INVALID_REQUEST, 'this ACL comes from the --acl file; edit the file to remove it'));
      return filterResult(ErrorCode.NONE, null, [...found.map((b) => matches(b, ErrorCode.NONE, null)), ...fileMatches]);
    });
    try {
      acl.store.alterSecurity([...deleted.values()].map((binding) => ({ type: 'deleteAcl', acl: binding })));
    } catch (error) {
      const { errorCode, errorMessage } = kafkaErrorOf(error);
      return { ...del.defaultDeleteAclsResponse(), filterResults: request.filters.map(() => filterResult(errorCode, errorMessage)) };
    }
    return { ...del.defaultDeleteAclsResponse(), filterResults: results };
  },
  errorResponse: () => del.defaultDeleteAclsResponse(),
});
