/**
 * HTTP ingest answers errors as JSON with Kafka's error name (router.ts's sendError:
 * `{"error_code": <HTTP status>, "error": "MESSAGE_TOO_LARGE", "message": "..."}`); this maps a
 * Kafka error to its HTTP status.
 */
import { ErrorCode, errorName } from '../../protocol/error-codes.js';
import { KafkaError } from '../../embedded/kafka-error.js';

export class HttpIngestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    /** Seconds the client should wait before retrying (429/503). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE = new Map<number, number>([
  [ErrorCode.MESSAGE_TOO_LARGE, 413],
  [ErrorCode.RECORD_LIST_TOO_LARGE, 413],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 403],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 403],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
  [ErrorCode.INVALID_TOPIC_EXCEPTION, 400],
  [ErrorCode.CORRUPT_MESSAGE, 400],
  [ErrorCode.INVALID_RECORD, 400],
  [ErrorCode.INVALID_REQUEST, 400],
]);

/** A producer failure as an HTTP error: retriable ones are 503 with Retry-After. */
export function httpErrorOf(error: Error): HttpIngestError {
  if (error instanceof HttpIngestError) return error;
  if (error instanceof KafkaError) {
    if (error.retriable) return new HttpIngestError(503, error.code, error.message, 1);
    return new HttpIngestError(STATUS_BY_CODE.get(error.errorCode) ?? 500, error.code, error.message);
  }
  const code = (error as { errorCode?: unknown }).errorCode;
  if (typeof code === 'number') return new HttpIngestError(STATUS_BY_CODE.get(code) ?? 500, errorName(code), error.message);
  return new HttpIngestError(503, 'UNKNOWN_SERVER_ERROR', error.message, 1);
}
