/**
 * The one error a decoder of untrusted bytes throws: a length past the end, a count over a limit,
 * a bad varint. Callers turn it into CORRUPT_MESSAGE / INVALID_REQUEST or close the connection.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
