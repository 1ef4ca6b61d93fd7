/**
 * Turns what an engine admin call throws into the Kafka error code a handler returns as data:
 * through the one table of Brook's error codes (src/common/error-table.ts). Anything that is not a
 * Brook error is UNKNOWN_SERVER_ERROR (and is a bug worth a log line, which the caller prints).
 */
import { kafkaCodeFor } from '../../common/error-table.js';
import { ErrorCode } from '../../protocol/error-codes.js';

export interface CodeAndMessage {
  errorCode: number;
  errorMessage: string;
}

export function kafkaErrorOf(error: unknown): CodeAndMessage {
  return { errorCode: kafkaCodeFor(error, 'admin'), errorMessage: error instanceof Error ? error.message : String(error) };
}

/** Runs an admin call, answering NONE or the error it threw. */
export async function attempt(operation: () => Promise<void> | void): Promise<CodeAndMessage | { errorCode: 0; errorMessage: null }> {
  try {
    await operation();
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    return kafkaErrorOf(error);
  }
}
