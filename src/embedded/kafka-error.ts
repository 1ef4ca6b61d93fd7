import { ErrorCode, errorName, RETRIABLE_ERROR_CODES } from '../protocol/error-codes.js';
import { isDiskFullMessage } from '../storage/disk-space.js';

/**
 * A Kafka error code surfaced to an embedded-API caller as a rejection: a produce batch the broker
 * refused, a fetch on an unknown partition, a partition outside the topic. `code` is Kafka's name
 * (e.g. 'MESSAGE_TOO_LARGE'), `errorCode` its number, so callers can match either.
 */
export class KafkaError extends Error {
  override name = 'KafkaError';
  readonly code: string;
  readonly retriable: boolean;
  /** The message it was made with, without the code (for a produce error, the broker's errorMessage). */
  readonly detail: string | null;

  constructor(
    readonly errorCode: number,
    message?: string | null,
  ) {
    const code = errorName(errorCode);
    super(message ? `${code}: ${message}` : code);
    this.code = code;
    this.detail = message ?? null;
    this.retriable = RETRIABLE_ERROR_CODES.has(errorCode) && !isDiskFullMessage(message);
  }
}

export function unknownTopicError(topic: string): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' does not exist`);
}
