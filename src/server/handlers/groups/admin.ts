/**
 * Group administration: ListGroups (16) v0-5 (v4: states filter, KIP-518; v5: types filter,
 * KIP-848 — every Brook group is "classic"), DescribeGroups (15) v0-5 (v3: authorized operations,
 * KIP-430; v4: static members' group.instance.id, KIP-345), DeleteGroups (42) v0-2. The engine's
 * facade asks every coordinator worker (list) or the owner of each named group (describe, delete)
 * and merges the answers in request order.
 */
import * as list from '../../../protocol/apis/list-groups.js';
import * as describe from '../../../protocol/apis/describe-groups.js';
import * as del from '../../../protocol/apis/delete-groups.js';
import { defineHandler } from '../../handler.js';
import { forward } from './groups-of.js';
import { authorizedOperations } from '../authorized-operations.js';

export const listGroupsHandler = defineHandler<list.ListGroupsRequest, list.ListGroupsResponse>({
  codec: list,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): list.ListGroupsResponse => ({ ...list.defaultListGroupsResponse(), errorCode });
    const response = await forward(list.API_KEY, request, context, fail);
    return { ...list.defaultListGroupsResponse(), ...response, groups: response.groups.map((g) => ({ ...list.defaultListedGroup(), ...g })) };
  },
  errorResponse: (errorCode) => ({ ...list.defaultListGroupsResponse(), errorCode }),
});

export const describeGroupsHandler = defineHandler<describe.DescribeGroupsRequest, describe.DescribeGroupsResponse>({
  codec: describe,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): describe.DescribeGroupsResponse => ({
      ...describe.defaultDescribeGroupsResponse(),
      groups: request.groups.map((groupId) => ({ ...describe.defaultDescribedGroup(), groupId, errorCode })),
    });
    const response = await forward(describe.API_KEY, request, context, fail);
    return {
      ...describe.defaultDescribeGroupsResponse(),
      ...response,
      groups: response.groups.map((g) => ({
        ...describe.defaultDescribedGroup(),
        ...g,
        authorizedOperations: authorizedOperations(context, context.apiVersion >= 3 && request.includeAuthorizedOperations, 'group', g.groupId),
        members: g.members.map((m) => ({ ...describe.defaultDescribedGroupMember(), ...m })),
      })),
    };
  },
  errorResponse: () => describe.defaultDescribeGroupsResponse(),
});

export const deleteGroupsHandler = defineHandler<del.DeleteGroupsRequest, del.DeleteGroupsResponse>({
  codec: del,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): del.DeleteGroupsResponse => ({
      ...del.defaultDeleteGroupsResponse(),
      results: request.groupsNames.map((groupId) => ({ ...del.defaultDeletableGroupResult(), groupId, errorCode })),
    });
    return { ...del.defaultDeleteGroupsResponse(), ...(await forward(del.API_KEY, request, context, fail)) };
  },
  errorResponse: () => del.defaultDeleteGroupsResponse(),
});
