/**
 * When a link pings (liveness.ts pingDue): only after a whole interval with nothing heard from
 * the peer, or when its own last ping is LATENCY_PING_INTERVAL_MS old (latency stays measured);
 * a link that hears its peer's pings, pongs or data in between sends none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_PING_INTERVAL_MS, PING_INTERVAL_MS, PONG_TIMEOUT_MS, pingDue } from '../../node-core/replication/liveness.ts';

test('a link that heard its peer within the interval does not ping', () => {
  assert.equal(pingDue(0, PING_INTERVAL_MS), false);
  assert.equal(pingDue(PING_INTERVAL_MS - 1, PING_INTERVAL_MS), false);
  assert.equal(pingDue(PING_INTERVAL_MS - 1, LATENCY_PING_INTERVAL_MS - 1), false);
});

test('a link silent for a whole interval pings, whenever it last pinged', () => {
  assert.equal(pingDue(PING_INTERVAL_MS, 0), true);
  assert.equal(pingDue(PONG_TIMEOUT_MS - 1, PING_INTERVAL_MS), true);
});

test('a link pings for latency at least every LATENCY_PING_INTERVAL_MS even when it hears its peer', () => {
  assert.equal(pingDue(0, LATENCY_PING_INTERVAL_MS), true);
  // A new link has never pinged: its first tick pings (latency is known early on both ends).
  assert.equal(pingDue(0, Date.now() - 0), true);
});

test('the bounds keep a frozen peer detectable: pings are due well before the timeout', () => {
  assert.ok(PING_INTERVAL_MS * 2 < PONG_TIMEOUT_MS);
  assert.ok(LATENCY_PING_INTERVAL_MS >= PING_INTERVAL_MS);
});
