/**
 * A mistake in what the user asked (bad flag value, bad input line, unknown topic): printed as one
 * line `brook: <message>` with exit code 1, never with a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}
