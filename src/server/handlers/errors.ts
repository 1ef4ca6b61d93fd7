/**
 * Turns what an engine admin call throws into the Kafka error code a handler returns as data.
 * KafkaCodeError carries its code; the BrookError kinds map to their Kafka twins; anything else is
 * UNKNOWN_SERVER_ERROR (and is a bug worth a log line, which the caller prints).
 */
import { BrookError, KafkaCodeError } from '../../common/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';

const BY_BROOK_CODE: Record<string, number> = {
  INVALID_CONFIG: ErrorCode.INVALID_CONFIG,
  INVALID_TOPIC: ErrorCode.INVALID_TOPIC_EXCEPTION,
  STORAGE_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
};

export interface CodeAndMessage {
  errorCode: number;
  errorMessage: string;
}

export function kafkaErrorOf(error: unknown): CodeAndMessage {
  if (error instanceof KafkaCodeError) return { errorCode: error.errorCode, errorMessage: error.message };
  if (error instanceof BrookError) {
    return { errorCode: BY_BROOK_CODE[error.code] ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: error.message };
  }
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: error instanceof Error ? error.message : String(error) };
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
