/**
 * The membership APIs of Kafka's classic group protocol: JoinGroup (11) v0-5, SyncGroup (14)
 * v0-3, Heartbeat (12) v0-3, LeaveGroup (13) v0-1. The state machines run in the coordinator
 * workers; these handlers forward the decoded body and encode what comes back.
 *
 * JoinGroup and SyncGroup answers arrive when the rebalance completes (seconds later). They are not
 * exclusive, so the connection keeps serving other requests meanwhile, and it still writes
 * responses in request order (connection.ts), which is what Kafka clients expect.
 */
import * as join from '../../../protocol/apis/join-group.js';
import * as sync from '../../../protocol/apis/sync-group.js';
import * as heartbeat from '../../../protocol/apis/heartbeat.js';
import * as leave from '../../../protocol/apis/leave-group.js';
import { defineHandler } from '../../handler.js';
import { forward } from './groups-of.js';

export const joinGroupHandler = defineHandler<join.JoinGroupRequest, join.JoinGroupResponse>({
  codec: join,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): join.JoinGroupResponse => ({ ...join.defaultJoinGroupResponse(), errorCode, memberId: request.memberId });
    return { ...join.defaultJoinGroupResponse(), ...(await forward(join.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...join.defaultJoinGroupResponse(), errorCode }),
});

export const syncGroupHandler = defineHandler<sync.SyncGroupRequest, sync.SyncGroupResponse>({
  codec: sync,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): sync.SyncGroupResponse => ({ ...sync.defaultSyncGroupResponse(), errorCode });
    return { ...sync.defaultSyncGroupResponse(), ...(await forward(sync.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...sync.defaultSyncGroupResponse(), errorCode }),
});

export const heartbeatHandler = defineHandler<heartbeat.HeartbeatRequest, heartbeat.HeartbeatResponse>({
  codec: heartbeat,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): heartbeat.HeartbeatResponse => ({ ...heartbeat.defaultHeartbeatResponse(), errorCode });
    return { ...heartbeat.defaultHeartbeatResponse(), ...(await forward(heartbeat.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...heartbeat.defaultHeartbeatResponse(), errorCode }),
});

export const leaveGroupHandler = defineHandler<leave.LeaveGroupRequest, leave.LeaveGroupResponse>({
  codec: leave,
  exclusive: false,
  async handle(request, context) {
    const fail = (errorCode: number): leave.LeaveGroupResponse => ({ ...leave.defaultLeaveGroupResponse(), errorCode });
    return { ...leave.defaultLeaveGroupResponse(), ...(await forward(leave.API_KEY, request, context, fail)) };
  },
  errorResponse: (errorCode) => ({ ...leave.defaultLeaveGroupResponse(), errorCode }),
});
