/**
 * The login rate limit (SPEC 3, issue 10 item 4): password checks are counted before they run,
 * so a parallel burst cannot outrun the count; failures are kept per (user, source), per source
 * and for the whole node, each over a sliding window. A burst against one (user, source) never
 * locks out the same user from another source; bearer tokens never pass through here at all.
 */
import { OpError } from '../errors.ts';

/** Sliding window over which failed password checks are counted. */
export const LOGIN_WINDOW_MS = 60_000;
/** Failed (or still running) checks per (username, source) per window before 429. */
export const MAX_LOGIN_FAILURES_PER_USER_SOURCE = 10;
/** Failed checks per source across all usernames (password spraying) per window. */
export const MAX_LOGIN_FAILURES_PER_SOURCE = 100;
/** Failed checks across the node (many sources) per window. */
export const MAX_LOGIN_FAILURES_GLOBAL = 1_000;
/** Keys remembered at most; beyond it expired keys are dropped and new sources count only globally. */
export const MAX_TRACKED_LOGIN_KEYS = 10_000;

if (!(MAX_LOGIN_FAILURES_PER_USER_SOURCE < MAX_LOGIN_FAILURES_PER_SOURCE && MAX_LOGIN_FAILURES_PER_SOURCE < MAX_LOGIN_FAILURES_GLOBAL)) {
  throw new Error('login limits must widen from (user, source) to source to global');
}

/** A 429 that tells the client when to try again (the server sends it as Retry-After). */
export class RateLimitedError extends OpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}

interface Bucket {
  /** times (ms) of failures within the window, oldest first, at most the bucket's limit */
  failures: number[];
  /** checks started and not finished yet: counted as failures until they succeed */
  pending: number;
}

/** One password check in progress: finish it with whether the credentials were right. */
export interface LoginTicket {
  finish(succeeded: boolean): void;
}

export class LoginLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #global: Bucket = { failures: [], pending: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  /** Reserve a check for `username` from `source`, or throw 429 when any limit is reached. */
  begin(username: string, source: string): LoginTicket {
    const now = this.now();
    const levels: Array<[Bucket, number, string]> = [
      [this.#bucket(`u\0${username.slice(0, 256)}\0${source}`, now), MAX_LOGIN_FAILURES_PER_USER_SOURCE, 'for this user from this address'],
      [this.#bucket(`s\0${source}`, now), MAX_LOGIN_FAILURES_PER_SOURCE, 'from this address'],
      [prune(this.#global, now), MAX_LOGIN_FAILURES_GLOBAL, 'on this node'],
    ];
    for (const [bucket, limit, scope] of levels) {
      if (bucket.failures.length + bucket.pending < limit) continue;
      const oldest = bucket.failures[0] ?? now;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + LOGIN_WINDOW_MS - now) / 1000));
      throw new RateLimitedError(`Too many failed logins ${scope}; try again in ${retryAfterSeconds}s`, retryAfterSeconds);
    }
    for (const [bucket] of levels) bucket.pending += 1;
    let finished = false;
    return {
      finish: (succeeded) => {
        if (finished) return;
        finished = true;
        const at = this.now();
        for (const [bucket, limit] of levels) {
          bucket.pending -= 1;
          if (succeeded) continue;
          bucket.failures.push(at);
          if (bucket.failures.length > limit) bucket.failures.shift();
        }
      },
    };
  }

  #bucket(key: string, now: number): Bucket {
    const existing = this.#buckets.get(key);
    if (existing) return prune(existing, now);
    if (this.#buckets.size >= MAX_TRACKED_LOGIN_KEYS) this.#sweep(now);
    const bucket: Bucket = { failures: [], pending: 0 };
    // Still full of live keys: count this one only globally (a detached bucket is not remembered).
    if (this.#buckets.size < MAX_TRACKED_LOGIN_KEYS) this.#buckets.set(key, bucket);
    return bucket;
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (prune(bucket, now).failures.length === 0 && bucket.pending === 0) this.#buckets.delete(key);
    }
  }
}

function prune(bucket: Bucket, now: number): Bucket {
  while (bucket.failures.length > 0 && bucket.failures[0]! <= now - LOGIN_WINDOW_MS) bucket.failures.shift();
  return bucket;
}
