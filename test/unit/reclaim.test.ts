/**
 * The full collection after large payloads (node-core/reclaim.ts): payloads under
 * LARGE_PAYLOAD_BYTES never count; reports add up to RECLAIM_AFTER_BYTES and then one
 * collection runs on the next turn, however many reports join it; the count starts again
 * after it. And this runtime does hand the node a collector.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { LARGE_PAYLOAD_BYTES, RECLAIM_AFTER_BYTES, Reclaimer, reclaimer } from '../../node-core/reclaim.ts';

function counting(): { reclaimer: Reclaimer; runs: () => number } {
  let runs = 0;
  return { reclaimer: new Reclaimer(() => void (runs += 1)), runs: () => runs };
}

test('small payloads never lead to a collection', async () => {
  const { reclaimer, runs } = counting();
  const small = LARGE_PAYLOAD_BYTES - 1;
  for (let sent = 0; sent <= 4 * RECLAIM_AFTER_BYTES; sent += small) reclaimer.done(small);
  await nextTurn();
  assert.equal(runs(), 0);
});

test('large payloads lead to one collection per RECLAIM_AFTER_BYTES, on the next turn', async () => {
  const { reclaimer, runs } = counting();
  const reports = RECLAIM_AFTER_BYTES / LARGE_PAYLOAD_BYTES;
  for (let i = 0; i < reports - 1; i++) reclaimer.done(LARGE_PAYLOAD_BYTES);
  await nextTurn();
  assert.equal(runs(), 0, 'under the threshold');
  reclaimer.done(LARGE_PAYLOAD_BYTES);
  reclaimer.done(LARGE_PAYLOAD_BYTES);
  assert.equal(runs(), 0, 'never inside the work that reported');
  await nextTurn();
  assert.equal(runs(), 1, 'reports before the collection join it');
  for (let i = 0; i < reports - 1; i++) reclaimer.done(LARGE_PAYLOAD_BYTES);
  await nextTurn();
  assert.equal(runs(), 1, 'the count started again after the collection');
  reclaimer.done(LARGE_PAYLOAD_BYTES);
  await nextTurn();
  assert.equal(reclaimer.collections, 2);
});

test('without a collector, reports are ignored', async () => {
  const none = new Reclaimer(null);
  none.done(2 * RECLAIM_AFTER_BYTES);
  await nextTurn();
  assert.equal(none.collections, 0);
  assert.equal(none.enabled, false);
});

test("this runtime gives the node V8's full collection", async () => {
  assert.equal(reclaimer.enabled, true);
  const before = reclaimer.collections;
  reclaimer.done(RECLAIM_AFTER_BYTES);
  await nextTurn();
  assert.equal(reclaimer.collections, before + 1);
});
