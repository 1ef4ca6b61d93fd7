/** The consumer-group API handlers, registered together by src/server/handlers/index.ts. */
import type { ApiHandler } from '../../handler.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler, joinGroupHandler, leaveGroupHandler, syncGroupHandler } from './membership.js';
import { offsetCommitHandler, offsetDeleteHandler, offsetFetchHandler } from './offsets.js';
import { deleteGroupsHandler, describeGroupsHandler, listGroupsHandler } from './admin.js';

export const GROUP_HANDLERS: readonly ApiHandler<any, any>[] = [
  findCoordinatorHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
];
