/**
 * The login limiter's arithmetic with a controlled clock (the node-level behaviour is in
 * login-burst-rate-limit): checks are reserved before they run, successes are refunded, each
 * level (user+source, source, node) trips at its own limit, and failures age out of the window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LOGIN_WINDOW_MS,
  LoginLimiter,
  MAX_LOGIN_FAILURES_GLOBAL,
  MAX_LOGIN_FAILURES_PER_SOURCE,
  MAX_LOGIN_FAILURES_PER_USER_SOURCE,
  RateLimitedError,
} from '../../node-core/security/login-limiter.ts';

function limiterAt(start = 1_000_000) {
  let now = start;
  return { limiter: new LoginLimiter(() => now), advance: (ms: number) => (now += ms) };
}

test('pending checks count: a burst that has not finished yet is limited', () => {
  const { limiter } = limiterAt();
  const tickets = Array.from({ length: MAX_LOGIN_FAILURES_PER_USER_SOURCE }, () => limiter.begin('alice', 'a'));
  assert.throws(() => limiter.begin('alice', 'a'), RateLimitedError);
  // Successes are refunded: once they finish, checks are allowed again.
  for (const ticket of tickets) ticket.finish(true);
  limiter.begin('alice', 'a').finish(true);
});

test('failures lock (user, source) only, with Retry-After until the oldest ages out', () => {
  const { limiter, advance } = limiterAt();
  for (let i = 0; i < MAX_LOGIN_FAILURES_PER_USER_SOURCE; i++) limiter.begin('alice', 'a').finish(false);
  const error = (() => {
    try {
      limiter.begin('alice', 'a');
    } catch (caught) {
      return caught as RateLimitedError;
    }
    return undefined;
  })();
  assert.ok(error instanceof RateLimitedError);
  assert.equal(error.status, 429);
  assert.equal(error.retryAfterSeconds, LOGIN_WINDOW_MS / 1000);
  limiter.begin('alice', 'b').finish(true);
  limiter.begin('bob', 'a').finish(true);
  advance(LOGIN_WINDOW_MS + 1);
  limiter.begin('alice', 'a').finish(true);
});

test('spraying many users from one source trips the per-source cap; many sources trip the node cap', () => {
  const { limiter } = limiterAt();
  for (let i = 0; i < MAX_LOGIN_FAILURES_PER_SOURCE; i++) limiter.begin(`user${i}`, 'sprayer').finish(false);
  assert.throws(() => limiter.begin('fresh-user', 'sprayer'), /from this address/);
  limiter.begin('fresh-user', 'elsewhere').finish(true);
  const { limiter: node } = limiterAt();
  for (let i = 0; i < MAX_LOGIN_FAILURES_GLOBAL; i++) node.begin(`u${i % 50}`, `s${Math.floor(i / 5)}`).finish(false);
  assert.throws(() => node.begin('anyone', 'new-source'), /on this node/);
});
