/**
 * Programmer-error checks, kept on in production. Never use for client input or I/O results:
 * those are handled and answered with an error code (see STYLE.md, "Errors").
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
