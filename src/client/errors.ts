/**
 * Operating failures of the client (STYLE.md's second kind): the broker cannot be reached, the
 * connection dropped, a request timed out, the broker lacks an API, or it sent bytes that are not
 * Kafka. Every message names the broker address, because with several brokers or a typo'd
 * `--broker` flag "connection refused" alone does not say where. Kafka error codes inside
 * responses are NOT errors here: the typed calls return them as data.
 */
import { BrookError } from '../common/errors.js';

/** The TCP connection could not be established (ECONNREFUSED, ENOTFOUND, connect timeout). */
export class BrokerUnreachableError extends BrookError {
  constructor(
    readonly address: string,
    reason: string,
    cause?: unknown,
  ) {
    super('BROKER_UNREACHABLE', `cannot reach broker ${address} (${reason})`, { cause });
  }
}

/** The connection closed or failed while requests were waiting, or a request came after close. */
export class ConnectionClosedError extends BrookError {
  constructor(
    readonly address: string,
    message: string,
    cause?: unknown,
  ) {
    super('CONNECTION_CLOSED', message, { cause });
  }
}

/** No response within the request's timeout. The connection stays usable. */
export class RequestTimeoutError extends BrookError {
  constructor(
    readonly address: string,
    apiName: string,
    timeoutMs: number,
  ) {
    super('REQUEST_TIMEOUT', `${apiName} request to broker ${address} timed out after ${timeoutMs} ms`);
  }
}

/** The broker does not advertise the API, or no version both sides speak. */
export class UnsupportedApiError extends BrookError {
  constructor(
    readonly address: string,
    readonly apiName: string,
    message: string,
  ) {
    super('UNSUPPORTED_API', message);
  }
}

/**
 * The broker broke the protocol: a response out of order, a frame over the size limit, bytes that
 * do not decode. After a framing error the connection is closed, since nothing after it can be
 * trusted to line up.
 */
export class BrokerProtocolError extends BrookError {
  constructor(
    readonly address: string,
    message: string,
    cause?: unknown,
  ) {
    super('BROKER_PROTOCOL_ERROR', message, { cause });
  }
}

/** A request frame larger than socket.request.max.bytes: the broker would drop the connection. */
export class RequestTooLargeError extends BrookError {
  constructor(apiName: string, frameBytes: number, frameBytesMax: number) {
    super('REQUEST_TOO_LARGE', `${apiName} request of ${frameBytes} bytes exceeds socket.request.max.bytes (${frameBytesMax})`);
  }
}

/** A broker address that is not `host:port`. */
export class InvalidBrokerAddressError extends BrookError {
  constructor(address: string) {
    super('INVALID_BROKER_ADDRESS', `broker address '${address}' is not host:port (port 1-65535)`);
  }
}
