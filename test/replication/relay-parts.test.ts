/**
 * The parts of relay suppression and the send budget on their own, over real LMDB: the log's
 * origin index (one key per transaction, gone with the entries retention purges), a relay view
 * that skips what its peer gets directly and catches up exactly what it skipped, and the
 * node-wide budget of large frames (first come first served, a frame larger than the budget
 * alone, every grant released once, a cancelled wait never granted).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { RelayView } from '../../node-core/replication/relay.ts';
import { LARGE_FRAME_BYTES, SendBudget, type SendGrant } from '../../node-core/replication/send-budget.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';

const roots: string[] = [];
const storages: Storage[] = [];
after(async () => {
  for (const storage of storages) await storage.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

async function openDatabase(): Promise<Database> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-relay-'));
  roots.push(root);
  const storage = Storage.open(root, { nodeName: 'relay-node', clock: new HybridLogicalClock() });
  storages.push(storage);
  const db = storage.createDatabase('dev');
  await db.createTable({ name: 'item', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  return db;
}

/** Apply one transaction as if replicated from `origin` at `version`; returns its sequence here. */
async function replicated(db: Database, origin: string, version: number, id: string): Promise<number> {
  let sequence = 0;
  await db.transact((tx) => {
    sequence = tx.sequence;
    writeRecords(tx, db.requireTable('item'), [{ id }], [id], 'upsert');
  }, { user: null, version, origin });
  return sequence;
}

describe('origin index', () => {
  test('finds the transactions of one origin above a version, and forgets purged ones', async () => {
    const db = await openDatabase();
    const base = Date.now() - 60_000;
    const seqs = [];
    for (let i = 1; i <= 5; i++) seqs.push(await replicated(db, 'node-o', base + i, `o${i}`));
    await replicated(db, 'node-x', base + 3, 'x1');
    const found = [...db.logByOrigin('node-o', base + 2, Infinity)];
    assert.deepEqual(found.map((f) => f.version), [base + 3, base + 4, base + 5]);
    assert.deepEqual(found.map((f) => f.sequence), seqs.slice(2));
    assert.deepEqual([...db.logByOrigin('node-x', 0, Infinity)].map((f) => f.version), [base + 3]);
    // Everything logged so far is older than now: purged, the index forgets it too.
    await db.purgeBefore(Date.now() + 1);
    assert.deepEqual([...db.logByOrigin('node-o', 0, Infinity)], []);
  });
});

describe('relay view', () => {
  test('skips origins the peer streams directly, never this node or merged entries', () => {
    const view = new RelayView('self', () => 'peer', null as unknown as Database);
    view.hello({ direct: ['node-o', 'self', 'peer'], since: [] });
    assert.deepEqual(view.direct, ['node-o']);
    assert.equal(view.skips({ v: 1, o: 'node-o', u: null, w: [] }), true);
    assert.equal(view.skips({ v: 1, o: 'node-o', u: null, w: [], m: true }), false);
    assert.equal(view.skips({ v: 1, o: 'self', u: null, w: [] }), false);
    assert.equal(view.skips({ v: 1, o: 'node-z', u: null, w: [] }), false);
  });

  test('an origin dropped from the set is caught up: above its since, through what was sent', async () => {
    const db = await openDatabase();
    const base = Date.now() - 60_000;
    const s1 = await replicated(db, 'node-o', base + 1, 'o1');
    const s2 = await replicated(db, 'node-o', base + 2, 'o2');
    const s3 = await replicated(db, 'node-o', base + 3, 'o3');
    const s4 = await replicated(db, 'node-o', base + 4, 'o4');
    const view = new RelayView('self', () => 'peer', db);
    view.hello({ direct: ['node-o'], since: [] });
    view.started(s1 - 1);
    // The peer has node-o's entries through base+1; the relay had sent (skipped) through s3.
    view.update({ t: 'direct', direct: [], since: [['node-o', base + 1]] }, s3);
    assert.equal(view.pendingCatchup, 2);
    assert.deepEqual(view.takeCatchup(10), [s2, s3]);
    assert.ok(s4 > s3, 'entries past the sent position are left to the live stream');
    assert.equal(view.skips({ v: base + 5, o: 'node-o', u: null, w: [] }), false);
  });

  test("a hello's since catches up entries skipped on an earlier link, through the hello's position", async () => {
    const db = await openDatabase();
    const base = Date.now() - 60_000;
    await replicated(db, 'node-o', base + 1, 'o1');
    const s2 = await replicated(db, 'node-o', base + 2, 'o2');
    await replicated(db, 'node-o', base + 3, 'o3');
    const view = new RelayView('self', () => 'peer', db);
    view.hello({ direct: [], since: [['node-o', base + 1]] });
    assert.equal(view.pendingCatchup, 0, 'nothing before the sent position is known');
    view.started(s2);
    assert.deepEqual(view.takeCatchup(10), [s2]);
  });

  test('a copy makes pending catch-ups moot', async () => {
    const db = await openDatabase();
    const s1 = await replicated(db, 'node-o', Date.now() - 1000, 'o1');
    const view = new RelayView('self', () => 'peer', db);
    view.hello({ direct: [], since: [['node-o', 0]] });
    view.copied();
    view.started(s1);
    assert.equal(view.pendingCatchup, 0);
  });
});

describe('send budget', () => {
  test('large frames wait their turn, first come first served, and are woken on release', () => {
    const budget = new SendBudget(100);
    const first = budget.request(60, () => assert.fail('granted at once'));
    assert.ok(first.grant);
    const granted: string[] = [];
    let second: SendGrant | null = null;
    const wait2 = budget.request(60, (grant) => {
      granted.push('second');
      second = grant;
    });
    assert.equal(wait2.grant, null);
    // A small one behind a blocked one waits too: no overtaking.
    const wait3 = budget.request(10, (grant) => {
      granted.push('third');
      grant.release();
    });
    assert.equal(wait3.grant, null);
    assert.equal(budget.blocked, 2);
    first.grant.release();
    first.grant.release(); // a second release changes nothing
    assert.deepEqual(granted, ['second', 'third']);
    assert.equal(budget.inFlightBytes, 60);
    second!.release();
    assert.equal(budget.inFlightBytes, 0);
  });

  test('a frame larger than the budget goes alone; a cancelled wait is never granted', () => {
    const budget = new SendBudget(LARGE_FRAME_BYTES * 2);
    const huge = budget.request(LARGE_FRAME_BYTES * 5, () => assert.fail('granted at once'));
    assert.ok(huge.grant, 'alone, a frame over the budget is granted');
    const cancelled = budget.request(LARGE_FRAME_BYTES, () => assert.fail('a cancelled wait was granted'));
    assert.equal(cancelled.grant, null);
    if (cancelled.grant === null) cancelled.cancel();
    assert.equal(budget.blocked, 0);
    huge.grant.release();
    assert.equal(budget.inFlightBytes, 0);
  });
});
