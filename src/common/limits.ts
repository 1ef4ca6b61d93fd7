/**
 * Every size Brook accepts has a limit here, named after the Kafka config it mirrors where one
 * exists. Relationships between limits are asserted at load so a bad edit fails at start-up.
 */
import { assert } from './assert.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Largest record batch a producer may send (Kafka's message.max.bytes, default 1 MiB + overhead). */
export const MESSAGE_MAX_BYTES_DEFAULT = 1_048_588;
/** Upper bound a topic's max.message.bytes may be raised to. */
export const MESSAGE_MAX_BYTES_LIMIT = 64 * MiB;
/** Largest request frame (socket.request.max.bytes, Kafka's default 100 MiB). */
export const SOCKET_REQUEST_MAX_BYTES = 100 * MiB;
/** Largest fetch response Brook builds, whatever a client asks (fetch.max.bytes default 50 MiB). */
export const FETCH_MAX_BYTES = 50 * MiB;
/**
 * Server-wide cap on fetched record bytes held in memory (read from segments, not yet taken by the
 * kernel's socket buffers). Kafka needs none (sendfile); Brook reads into buffers, so without it
 * 200 slow consumers x fetch.max.bytes would be 10 GiB. Past it a fetch still gets one whole batch
 * (KIP-74), so consumers keep progressing.
 */
export const FETCH_BYTES_IN_FLIGHT_MAX = 256 * MiB;
/**
 * Read buffers a pool keeps for reuse (storage/read-buffers.ts): the server's fetches and the
 * benchmark read into them. Memory on top of FETCH_BYTES_IN_FLIGHT_MAX is at most this (a pooled
 * block is rounded up to 64 KiB, and idle blocks wait for reuse).
 */
export const READ_BUFFER_POOL_BYTES_MAX = 64 * MiB;
/** Reads smaller than this get fresh buffers (small allocations are cheap; Node pools them). */
export const READ_BUFFER_POOLED_MIN_BYTES = 64 * KiB;
/** Longest a fetch may long-poll (Kafka clients default to 500 ms; we cap what a client may ask). */
export const FETCH_MAX_WAIT_MS_LIMIT = 60_000;

/** Segment sizes (segment.bytes): Kafka's default and the smallest it allows (14 = a header). */
export const SEGMENT_BYTES_DEFAULT = 1 * GiB;
export const SEGMENT_BYTES_MIN = 14;
export const SEGMENT_BYTES_MAX = 2 * GiB - 1;
/** Sparse index spacing (index.interval.bytes). */
export const INDEX_INTERVAL_BYTES_DEFAULT = 4096;
/** retention.ms default: 7 days. */
export const RETENTION_MS_DEFAULT = 7 * 24 * 3600 * 1000;

/** Topic names: Kafka's rule, 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export const TOPIC_NAME_MAX_CHARS = 249;
export const PARTITIONS_MAX = 1024;

/**
 * Each partition worker's produce ring (SharedArrayBuffer), shared by all the partitions it owns.
 * Holds at least two of the largest batches; one produce (all batches of a request for one
 * partition) may take half of it.
 */
export const RING_BYTES_DEFAULT = 16 * MiB;
/** Frame header in the ring: int32 length + int32 slot id. */
export const RING_FRAME_HEADER_BYTES = 8;

/** Decoder bounds for untrusted bytes. */
export const ARRAY_COUNT_MAX = 1_000_000;
export const STRING_BYTES_MAX = 32_767;
export const RECORDS_PER_BATCH_MAX = 1_000_000;


assert(RING_BYTES_DEFAULT >= 2 * (MESSAGE_MAX_BYTES_DEFAULT + RING_FRAME_HEADER_BYTES),
  'a ring must hold two of the largest default batches');
assert(FETCH_MAX_BYTES < SOCKET_REQUEST_MAX_BYTES, 'fetch responses stay below the frame limit');
assert(FETCH_BYTES_IN_FLIGHT_MAX >= FETCH_MAX_BYTES, 'one full-size fetch fits the in-flight budget');
assert(MESSAGE_MAX_BYTES_LIMIT <= SEGMENT_BYTES_MAX, 'a batch fits a segment');
