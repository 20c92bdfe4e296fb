/**
 * Unit tests of storage/tombstones.ts and the logged merge (replication/merge.ts) against real
 * LMDB in a temp dir: purging the log leaves tombstones; tombstones are purged by when they were
 * stored, raising the horizon to the newest stamp purged; a merge never lets an older put undo a
 * delete, and what it writes is logged (so it relays).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { mergeLogged } from '../../node-core/replication/merge.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import { purgeTombstones, stampOf, tombstoneHorizon } from '../../node-core/storage/tombstones.ts';
import { deleteRecords, writeRecords } from '../../node-core/storage/writes.ts';

const roots: string[] = [];
const storages: Storage[] = [];

after(async () => {
  for (const storage of storages) await storage.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

async function openDatabase(): Promise<{ db: Database; clock: HybridLogicalClock }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-tombstones-'));
  roots.push(root);
  const clock = new HybridLogicalClock();
  const storage = Storage.open(root, { nodeName: 'local-node', clock });
  storages.push(storage);
  const db = storage.createDatabase('dev');
  await db.createTable({ name: 'row', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  const table = db.requireTable('row');
  await db.transact((tx) => writeRecords(tx, table, [{ id: 'k1' }, { id: 'k2' }, { id: 'k3' }], [undefined, undefined, undefined].map((_, i) => `k${i + 1}`), 'insert'), { user: null });
  return { db, clock };
}

describe('tombstones', () => {
  test('a log purge keeps tombstones; the tombstone purge removes those stored before the cutoff and raises the horizon', async () => {
    const { db, clock } = await openDatabase();
    const table = db.requireTable('row');
    await db.transact((tx) => deleteRecords(tx, table, ['k1']), { user: null });
    const first = table.getTombstone('k1')!;
    assert.ok(first.s !== undefined && first.s === db.lastSequence(), 'a logged delete is stamped with its log sequence');
    await db.purgeBefore(clock.next() + 1);
    assert.equal(db.logEntryCount(), 0);
    assert.ok(table.getTombstone('k1'), 'the log purge left the tombstone');
    assert.equal(tombstoneHorizon(db), 0);

    await db.transact((tx) => deleteRecords(tx, table, ['k2']), { user: null });
    const second = table.getTombstone('k2')!;
    assert.ok(stampOf(second) > stampOf(first));
    const between = (stampOf(first) + stampOf(second)) / 2;
    assert.equal(await purgeTombstones(db, between), 1);
    assert.equal(table.getTombstone('k1'), undefined);
    assert.ok(table.getTombstone('k2'), 'a tombstone stored after the cutoff stays');
    assert.equal(tombstoneHorizon(db), stampOf(first), 'the horizon is the newest stamp purged');
    assert.equal(await purgeTombstones(db, between), 0);
  });

  test('a merge applies winners as logged writes and never lets an older put undo a delete', async () => {
    const { db, clock } = await openDatabase();
    const table = db.requireTable('row');
    const old = table.getStored('k1')!;
    await db.transact((tx) => deleteRecords(tx, table, ['k1']), { user: null });
    const logged = db.logEntryCount();
    const later = clock.next() + 10;
    const outcome = await mergeLogged(db, clock, 'row', [
      ['k1', old.v, old.o, old.r],
      ['k2', later, 'peer', { id: 'k2', n: 2 }],
      ['k3', later, 'peer', null],
      ['k9', later, 'peer', null],
    ]);
    assert.deepEqual(outcome, { written: ['k2'], deleted: ['k3'], tombstones: 1 });
    assert.equal(table.get('k1'), undefined, 'k1 stays deleted');
    assert.equal(table.get('k2')?.n, 2);
    assert.equal(table.get('k3'), undefined);
    const entries = [...db.readLog(0)].slice(logged).map(({ entry }) => [entry.v, entry.o, entry.w.map((w) => [w.k, w.d === true])]);
    assert.deepEqual(entries, [
      [later, 'peer', [['k2', false]]],
      [later, 'peer', [['k3', true]]],
      [later, 'peer', [['k9', true]]],
    ]);
    const again = await mergeLogged(db, clock, 'row', [['k2', later, 'peer', { id: 'k2', n: 2 }]]);
    assert.deepEqual(again, { written: [], deleted: [], tombstones: 0 }, 're-delivery changes nothing');
  });
});
