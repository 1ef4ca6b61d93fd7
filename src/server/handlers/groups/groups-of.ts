/**
 * Shared plumbing of the group API handlers: reach the Broker's `groups` facade
 * (src/engine/coordinator-groups.ts) from a handler, and forward a decoded request to it,
 * turning "the coordinator cannot answer now" into COORDINATOR_NOT_AVAILABLE, which every client
 * treats as retriable (it looks the coordinator up again and resends), and anything unexpected
 * into UNKNOWN_SERVER_ERROR.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import { kafkaCodeFor } from '../../../common/error-table.js';
import type { RequestContext } from '../../handler.js';

/** The part of GroupsService a handler calls; the engine's Broker carries one as `groups`. */
export interface GroupsApi {
  handle(apiKey: number, apiVersion: number, body: unknown, ctx: { clientId: string; clientHost: string }): Promise<unknown>;
}

function groupsOf(context: RequestContext): GroupsApi | undefined {
  const broker = context.server.broker as { hasGroups?: boolean; groups?: GroupsApi };
  return broker.hasGroups === false ? undefined : broker.groups;
}

/**
 * The Kafka code for an error the groups service threw (src/common/error-table.ts, coordinator
 * site): its own code for a KafkaCodeError, COORDINATOR_NOT_AVAILABLE when the coordinator cannot
 * answer now (a worker restarting, a storage failure while it restarts, the broker closing), and
 * UNKNOWN_SERVER_ERROR for anything else, as Kafka answers an unexpected exception.
 */
export function groupsErrorCode(err: unknown): number {
  return kafkaCodeFor(err, 'coordinator');
}

/**
 * The coordinator's answer, or `onError(code)` when it cannot give one (see groupsErrorCode).
 * Handlers merge the answer over their codec's defaults.
 */
export async function forward<Response>(
  apiKey: number,
  request: unknown,
  context: RequestContext,
  onError: (errorCode: number) => Response,
): Promise<Response> {
  const groups = groupsOf(context);
  if (groups === undefined) return onError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  try {
    // clientHost is not known to handlers (the dispatcher does not pass the socket); Kafka shows
    // "/<ip>" there, we leave it empty rather than guess.
    return (await groups.handle(apiKey, context.apiVersion, request, { clientId: context.clientId ?? '', clientHost: '' })) as Response;
  } catch (err) {
    return onError(groupsErrorCode(err));
  }
}
