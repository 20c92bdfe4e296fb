/**
 * What the operations API reads before and after authentication (issue 10 item 5). A request
 * without an Authorization header can only be token creation, so its body is capped small and
 * anything larger is refused unread; and the bytes of all bodies being read or handled at once
 * are bounded, so parallel large bodies queue for a retry instead of growing memory without end.
 */
import type http from 'node:http';
import { OpError } from '../errors.ts';
import { RateLimitedError } from './login-limiter.ts';

/** Largest body of a request that carries no Authorization header (token creation fits easily). */
export const MAX_UNAUTHENTICATED_BODY_BYTES = 16 * 1024;
/** Body bytes of all requests in flight together (at least one maxBodySize body always fits). */
export const MAX_IN_FLIGHT_BODY_BYTES = 32 * 1024 * 1024;
/**
 * Body bytes of all unauthenticated requests in flight together: a separate, small budget, so
 * slow anonymous senders can never starve authenticated requests of theirs.
 */
export const MAX_IN_FLIGHT_UNAUTHENTICATED_BYTES = 2 * 1024 * 1024;
/** Retry-After of a request refused because the in-flight budget is spent. */
export const BODY_BUDGET_RETRY_SECONDS = 1;

if (!(MAX_UNAUTHENTICATED_BODY_BYTES < MAX_IN_FLIGHT_UNAUTHENTICATED_BYTES && MAX_IN_FLIGHT_UNAUTHENTICATED_BYTES < MAX_IN_FLIGHT_BODY_BYTES)) {
  throw new Error('body limits must grow: one unauthenticated body < unauthenticated budget < in-flight budget');
}

/** Shared count of body bytes held by requests in flight. */
export class BodyBudget {
  #used = 0;

  /** @param capacity bytes; raised to `largestBody` so one request of the largest size always fits */
  constructor(largestBody: number, capacity: number) {
    this.capacity = Math.max(capacity, largestBody);
  }

  readonly capacity: number;

  get used(): number {
    return this.#used;
  }

  /** Take `bytes` more for one request, or throw 429 (nothing taken) when the budget is spent. */
  take(bytes: number): void {
    if (this.#used + bytes > this.capacity) {
      throw new RateLimitedError(
        `The node is reading ${this.#used} bytes of other request bodies (limit ${this.capacity} bytes in flight); retry shortly`,
        BODY_BUDGET_RETRY_SECONDS,
      );
    }
    this.#used += bytes;
  }

  give(bytes: number): void {
    this.#used -= bytes;
    if (this.#used < 0) throw new Error(`body budget went negative (${this.#used})`);
  }
}

/** 413 for a body over `limit`, saying which limit applied. */
export function bodyTooLarge(size: number | null, limit: number, authenticated: boolean): OpError {
  const what = size === null ? 'Request body is' : `Request body of ${size} bytes is`;
  const which = authenticated
    ? '(operationsApi.network.maxBodySize)'
    : '(requests without an Authorization header may only create tokens: log in first)';
  return new OpError(413, `${what} over the limit of ${limit} bytes ${which}`);
}

/** A refused request's unread body is read and dropped up to this much, then the connection is cut. */
export const MAX_DISCARDED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Read and drop the rest of a refused request's body (nothing is kept); resolves when it has all
 * arrived, so the answer is sent to a client that has stopped sending (answering mid-body makes
 * Node close the connection, and the client may see a reset instead of the answer). A client
 * that sends more than MAX_DISCARDED_BODY_BYTES is cut off without an answer.
 */
export function discardBody(req: http.IncomingMessage): Promise<void> {
  let dropped = 0;
  req.removeAllListeners('data');
  return new Promise<void>((resolve) => {
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > MAX_DISCARDED_BODY_BYTES) req.socket.destroy();
    });
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    req.on('error', () => resolve());
    req.resume();
  });
}
