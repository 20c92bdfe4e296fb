/**
 * Unit tests of node-core/replication/apply.ts against real LMDB storage in a temp dir: a
 * received transaction touching two tables lands in one commit or not at all (SPEC 4.4, 6
 * "Atomic"), the peer's position advances with the data, re-delivery changes nothing, and the
 * conflict rule holds for puts and deletes (no resurrection).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { applyCopiedRecords, applyEntries, positionKey } from '../../node-core/replication/apply.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { LogEntry } from '../../node-core/storage/types.ts';

const PEER = 'peer-node';
const acceptAll = { accepts: () => true };
const roots: string[] = [];
const storages: Storage[] = [];

after(async () => {
  for (const storage of storages) await storage.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

async function openDatabase(): Promise<{ db: Database; clock: HybridLogicalClock }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-apply-'));
  roots.push(root);
  const clock = new HybridLogicalClock();
  const storage = Storage.open(root, { nodeName: 'local-node', clock });
  storages.push(storage);
  const db = storage.createDatabase('dev');
  await db.createTable({ name: 'orders', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  await db.createTable({ name: 'stock', primaryKey: 'sku', attributes: ['sku'], replicate: true }, { user: null });
  return { db, clock };
}

function logSince(db: Database, after: number): LogEntry[] {
  return [...db.readLog(after)].map(({ entry }) => entry);
}

describe('applyEntries', () => {
  let db: Database;
  let clock: HybridLogicalClock;
  let logStart: number;
  beforeEach(async () => {
    ({ db, clock } = await openDatabase());
    logStart = db.lastSequence();
  });

  test('a transaction touching two tables lands whole, in one commit, under its version and origin', async () => {
    const v = Date.now() + 10_000;
    const entry: LogEntry = {
      v,
      o: PEER,
      u: 'alice',
      w: [
        { t: 'orders', k: 'o1', r: { id: 'o1', sku: 's1', qty: 2 } },
        { t: 'stock', k: 's1', r: { sku: 's1', left: 8 } },
      ],
    };
    const commits: number[] = [];
    const unsubscribe = db.onCommit((event) => commits.push(event.sequence));
    const outcome = await applyEntries(db, clock, PEER, [[41, entry]], 41, acceptAll);
    unsubscribe();
    assert.deepEqual(outcome, { applied: 2, dropped: 0, committed: true });
    assert.deepEqual(db.requireTable('orders').getStored('o1'), { v, o: PEER, r: { id: 'o1', sku: 's1', qty: 2 } });
    assert.deepEqual(db.requireTable('stock').getStored('s1'), { v, o: PEER, r: { sku: 's1', left: 8 } });
    // One log entry (one transaction) holding both writes, so it relays whole too.
    assert.equal(commits.length, 1);
    assert.deepEqual(logSince(db, logStart), [
      { v, o: PEER, u: 'alice', w: [{ t: 'orders', k: 'o1', r: { id: 'o1', sku: 's1', qty: 2 } }, { t: 'stock', k: 's1', r: { sku: 's1', left: 8 } }] },
    ]);
    assert.equal(db.getMeta(positionKey(PEER)), 41);
    assert.ok(clock.last >= v, 'the clock observed the received version');
  });

  test('a failure in the second table leaves the first table untouched and the position unmoved', async () => {
    await applyEntries(db, clock, PEER, [[1, { v: Date.now(), o: PEER, u: null, w: [{ t: 'orders', k: 'keep', r: { id: 'keep', qty: 1 } }] }]], 1, acceptAll);
    const before = logSince(db, 0);
    const bad: LogEntry = {
      v: Date.now() + 1,
      o: PEER,
      u: null,
      w: [
        { t: 'orders', k: 'o2', r: { id: 'o2', qty: 5, colour: 'red' } },
        { t: 'orders', k: 'keep', r: { id: 'keep', qty: 99 } },
        { t: 'no_such_table', k: 'x', r: { id: 'x' } },
      ],
    };
    await assert.rejects(applyEntries(db, clock, PEER, [[2, bad]], 2, acceptAll), /unknown table 'dev\.no_such_table'/);
    assert.equal(db.requireTable('orders').get('o2'), undefined);
    assert.deepEqual(db.requireTable('orders').get('keep'), { id: 'keep', qty: 1 });
    assert.deepEqual([...db.requireTable('orders').scan()].map(({ key }) => key), ['keep']);
    // The indexes rolled back with the records.
    assert.deepEqual(db.requireTable('orders').keysWithValue('qty', 5), []);
    assert.deepEqual(db.requireTable('orders').keysWithValue('qty', 99), []);
    assert.deepEqual(db.requireTable('orders').keysWithValue('qty', 1), ['keep']);
    assert.deepEqual(db.requireTable('orders').keysWithValue('colour', 'red'), []);
    // The attribute the aborted write introduced is not left in the table's schema either.
    assert.equal(db.requireTable('orders').definition.attributes.includes('colour'), false);
    assert.equal(db.getMeta(positionKey(PEER)), 1);
    assert.deepEqual(logSince(db, 0), before);
  });

  test('a frame is all or nothing: a bad second transaction undoes the good first one', async () => {
    const v = Date.now();
    const good: LogEntry = { v, o: PEER, u: null, w: [{ t: 'orders', k: 'a', r: { id: 'a' } }, { t: 'stock', k: 'sa', r: { sku: 'sa' } }] };
    const bad: LogEntry = { v: v + 1, o: PEER, u: null, w: [{ t: 'stock', k: 'sb', r: { sku: 'sb' } }, { t: 'missing', k: 1, r: { id: 1 } }] };
    await assert.rejects(applyEntries(db, clock, PEER, [[5, good], [6, bad]], 6, acceptAll), /unknown table/);
    assert.equal(db.requireTable('orders').recordCount(), 0);
    assert.equal(db.requireTable('stock').recordCount(), 0);
    assert.equal(db.getMeta(positionKey(PEER)), undefined);
    assert.deepEqual(logSince(db, logStart), []);
    // The same frame without the bad entry then applies cleanly (nothing was left half-done).
    await applyEntries(db, clock, PEER, [[5, good]], 5, acceptAll);
    assert.deepEqual(db.requireTable('orders').get('a'), { id: 'a' });
    assert.deepEqual(db.requireTable('stock').get('sa'), { sku: 'sa' });
    assert.equal(db.getMeta(positionKey(PEER)), 5);
  });

  test('re-delivery changes nothing and logs nothing', async () => {
    const entry: LogEntry = { v: Date.now(), o: PEER, u: null, w: [{ t: 'orders', k: 'r', r: { id: 'r', n: 1 } }, { t: 'stock', k: 'r', r: { sku: 'r', n: 1 } }] };
    await applyEntries(db, clock, PEER, [[3, entry]], 3, acceptAll);
    const log = logSince(db, logStart);
    const positionBefore = db.getMeta(positionKey(PEER));
    const outcome = await applyEntries(db, clock, PEER, [[3, entry]], 3, acceptAll);
    // Nothing can win, so no transaction runs at all (the link persists such positions lazily).
    assert.deepEqual(outcome, { applied: 0, dropped: 2, committed: false });
    assert.equal(db.getMeta(positionKey(PEER)), positionBefore);
    assert.deepEqual(logSince(db, logStart), log);
    assert.deepEqual(db.requireTable('orders').getStored('r'), { v: entry.v, o: PEER, r: { id: 'r', n: 1 } });
  });

  test('conflict rule: higher version wins, equal versions go to the greater origin, deletes are not resurrected', async () => {
    const v = Date.now();
    const put = (version: number, origin: string, n: number): LogEntry => ({ v: version, o: origin, u: null, w: [{ t: 'orders', k: 'c', r: { id: 'c', n } }] });
    await applyEntries(db, clock, PEER, [[1, put(v, 'node-m', 1)]], 1, acceptAll);
    await applyEntries(db, clock, PEER, [[2, put(v - 5, 'node-z', 2)]], 2, acceptAll); // older: dropped
    assert.deepEqual(db.requireTable('orders').get('c'), { id: 'c', n: 1 });
    await applyEntries(db, clock, PEER, [[3, put(v, 'node-a', 3)]], 3, acceptAll); // equal, smaller origin: dropped
    assert.deepEqual(db.requireTable('orders').get('c'), { id: 'c', n: 1 });
    await applyEntries(db, clock, PEER, [[4, put(v, 'node-n', 4)]], 4, acceptAll); // equal, greater origin: wins
    assert.deepEqual(db.requireTable('orders').getStored('c'), { v, o: 'node-n', r: { id: 'c', n: 4 } });
    // Delete at v+10, then an older put (v+5) arrives late: stays deleted.
    await applyEntries(db, clock, PEER, [[5, { v: v + 10, o: 'node-b', u: null, w: [{ t: 'orders', k: 'c', d: true }] }]], 5, acceptAll);
    assert.equal(db.requireTable('orders').get('c'), undefined);
    const tombstone = db.requireTable('orders').getTombstone('c');
    assert.deepEqual({ v: tombstone?.v, o: tombstone?.o }, { v: v + 10, o: 'node-b' });
    await applyEntries(db, clock, PEER, [[6, put(v + 5, 'node-z', 5)]], 6, acceptAll);
    assert.equal(db.requireTable('orders').get('c'), undefined);
    // An initial copy carrying the old record does not resurrect it either.
    await applyCopiedRecords(db, clock, 'orders', [['c', v + 7, 'node-z', { id: 'c', n: 7 }]]);
    assert.equal(db.requireTable('orders').get('c'), undefined);
    // A newer put does bring it back.
    await applyEntries(db, clock, PEER, [[7, put(v + 20, 'node-a', 6)]], 7, acceptAll);
    assert.deepEqual(db.requireTable('orders').get('c'), { id: 'c', n: 6 });
  });

  test('writes of tables the link does not subscribe to are skipped, the rest of the transaction applies', async () => {
    const entry: LogEntry = { v: Date.now(), o: PEER, u: null, w: [{ t: 'orders', k: 'f', r: { id: 'f' } }, { t: 'stock', k: 'f', r: { sku: 'f' } }] };
    const outcome = await applyEntries(db, clock, PEER, [[9, entry]], 9, { accepts: (table) => table === 'orders' });
    assert.deepEqual(outcome, { applied: 1, dropped: 0, committed: true });
    assert.deepEqual(db.requireTable('orders').get('f'), { id: 'f' });
    assert.equal(db.requireTable('stock').get('f'), undefined);
    assert.equal(db.getMeta(positionKey(PEER)), 9);
  });
});
