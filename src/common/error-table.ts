/**
 * Brook's operating-failure codes (BrookError.code, STYLE.md's second kind of error) as one closed
 * set, each with the Kafka error code a request answers when it meets that failure and whether a
 * client may retry it. Every mapping from a thrown error to a Kafka code goes through here.
 *
 * Where a failure happens changes the answer, as in Kafka: on a partition's data path a worker
 * that exited is NOT_LEADER_OR_FOLLOWER (the client refreshes metadata and retries), in a group
 * coordinator any retriable failure is COORDINATOR_NOT_AVAILABLE (the client looks the
 * coordinator up again), and a non-retriable one there is UNKNOWN_SERVER_ERROR (a retriable code
 * would have clients retry a bug forever).
 */
import { ErrorCode, RETRIABLE_ERROR_CODES } from '../protocol/error-codes.js';

interface Entry {
  /** What a partition or admin request answers; UNKNOWN_SERVER_ERROR when no Kafka twin exists. */
  kafka: number;
  /** Whether repeating the request may succeed (client-side failures included). */
  retriable: boolean;
  /** A failure of the way to the broker (the request may not have reached it), not of the broker. */
  transport?: true;
}

const kafka = (code: number): Entry => ({ kafka: code, retriable: RETRIABLE_ERROR_CODES.has(code) });
const brookOnly = (retriable: boolean): Entry => ({ kafka: ErrorCode.UNKNOWN_SERVER_ERROR, retriable });

export const BROOK_ERRORS = {
  // Bad input to an admin call or a produce.
  INVALID_CONFIG: kafka(ErrorCode.INVALID_CONFIG),
  INVALID_TOPIC: kafka(ErrorCode.INVALID_TOPIC_EXCEPTION),
  CORRUPT_MESSAGE: kafka(ErrorCode.CORRUPT_MESSAGE),
  OFFSET_OUT_OF_RANGE: kafka(ErrorCode.OFFSET_OUT_OF_RANGE),
  // The broker's own state: a partition or coordinator that cannot answer now.
  STORAGE_ERROR: kafka(ErrorCode.KAFKA_STORAGE_ERROR),
  PARTITION_CLOSED: kafka(ErrorCode.NOT_LEADER_OR_FOLLOWER),
  /** Its log could not be opened (Kafka: a partition on an offline log dir). */
  PARTITION_OFFLINE: kafka(ErrorCode.KAFKA_STORAGE_ERROR),
  WORKER_EXITED: kafka(ErrorCode.NOT_LEADER_OR_FOLLOWER),
  BROKER_CLOSED: kafka(ErrorCode.NOT_LEADER_OR_FOLLOWER),
  COORDINATOR_NOT_AVAILABLE: kafka(ErrorCode.COORDINATOR_NOT_AVAILABLE),
  NOT_COORDINATOR: kafka(ErrorCode.NOT_COORDINATOR),
  GROUPS_DISABLED: brookOnly(false),
  DATA_DIR_LOCKED: brookOnly(false),
  PRODUCER_ID_FILE_CORRUPT: brookOnly(false),
  FAULTS_DISABLED: brookOnly(false),
  // Log inputs (brook tail, journald): a checkpoint file held by another tail, or unreadable.
  CHECKPOINT_LOCKED: brookOnly(false),
  CHECKPOINT_CORRUPT: brookOnly(false),
  // Brook's client (CLI, embedded network backend, mirror) talking to a broker.
  BROKER_UNREACHABLE: { ...brookOnly(true), transport: true },
  CONNECTION_CLOSED: { ...brookOnly(true), transport: true },
  REQUEST_TIMEOUT: { ...brookOnly(true), transport: true },
  REQUEST_TOO_LARGE: brookOnly(false),
  BROKER_PROTOCOL_ERROR: brookOnly(false),
  UNSUPPORTED_API: brookOnly(false),
  INVALID_BROKER_ADDRESS: brookOnly(false),
  MIRROR_TARGET_ERROR: brookOnly(false),
  // Brook Streams (src/streams/errors.ts): application-side failures, never a broker's answer.
  TOPOLOGY: brookOnly(false),
  STREAMS_CONFIG: brookOnly(false),
  SERIALIZATION: brookOnly(false),
  STATE_STORE: brookOnly(false),
  /** The group moved on while a streams member worked; it rejoins and the work is redone. */
  TASK_MIGRATED: brookOnly(true),
} as const satisfies Record<string, Entry>;

/** One of Brook's own codes, or a Kafka code carried as is (KafkaCodeError: `KAFKA_<code>`). */
export type BrookErrorCode = keyof typeof BROOK_ERRORS | `KAFKA_${number}`;

/** The table entry for a BrookError code (KAFKA_<n> carries its Kafka code itself). */
export function entryFor(code: string): Entry | undefined {
  const kafkaCode = /^KAFKA_(-?\d+)$/.exec(code);
  if (kafkaCode !== null) return kafka(Number(kafkaCode[1]));
  return (BROOK_ERRORS as Record<string, Entry>)[code];
}

/** Where the failure met the request: it decides the Kafka code (see the header). */
export type FailureSite = 'partition' | 'admin' | 'coordinator';

/**
 * The Kafka code a request answers for `error`, thrown at `site`. Anything that is not a
 * BrookError (a bug) is UNKNOWN_SERVER_ERROR, except on a partition's path (a read or an
 * append), where the storage layer's own I/O errors surface: KAFKA_STORAGE_ERROR.
 */
export function kafkaCodeFor(error: unknown, site: FailureSite): number {
  const entry = errorCodeOf(error) === undefined ? undefined : entryFor(errorCodeOf(error)!);
  if (site === 'coordinator') {
    if (entry === undefined) return ErrorCode.UNKNOWN_SERVER_ERROR;
    if (/^KAFKA_/.test(errorCodeOf(error)!)) return entry.kafka;
    return entry.retriable ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_SERVER_ERROR;
  }
  if (entry === undefined) return site === 'partition' ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR;
  return entry.kafka;
}

/** Whether `error` (a BrookError, a KafkaCodeError, or a Kafka error code) is worth a retry. */
export function isRetriable(error: unknown): boolean {
  if (typeof error === 'number') return RETRIABLE_ERROR_CODES.has(error);
  const code = errorCodeOf(error);
  return code !== undefined && (entryFor(code)?.retriable ?? false);
}

/** A retriable failure on the way to the broker: resending the same request is safe to try. */
export function isRetriableTransportFailure(error: unknown): boolean {
  const code = errorCodeOf(error);
  const entry = code === undefined ? undefined : entryFor(code);
  return entry?.transport === true && entry.retriable;
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && error instanceof Error ? code : undefined;
}
