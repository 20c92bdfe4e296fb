/**
 * The one error type of the node: every failure that reaches a client carries an HTTP status
 * and a message that names what went wrong. Anything else that escapes a handler is an
 * internal fault (500, logged with a request id).
 */
export class OpError extends Error {
  readonly status: number;
  /** fields the answer carries beside `error` (e.g. what a write that timed out did commit) */
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'OpError';
    this.status = status;
    this.details = details;
  }
}

export const badRequest = (message: string): OpError => new OpError(400, message);
export const unauthorized = (message: string): OpError => new OpError(401, message);
export const forbidden = (message: string): OpError => new OpError(403, message);
export const notFound = (message: string): OpError => new OpError(404, message);
export const conflict = (message: string): OpError => new OpError(409, message);
export const tooLarge = (message: string): OpError => new OpError(413, message);
export const tooManyRequests = (message: string): OpError => new OpError(429, message);

export function isOpError(error: unknown): error is OpError {
  return error instanceof OpError;
}
