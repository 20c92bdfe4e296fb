/**
 * Sharded records in real LMDB (node-core/replication/apply.ts, rehome.ts; SPEC 4.10): a
 * non-holder keeps a stub of a write (key, version, holders) and no record; a holder that got
 * the stub first still takes the record of the same write; deletes and older writes follow the
 * conflict rule against stubs (nothing resurrected); and a member whose links stay down past
 * the re-homing bound has its records re-homed under their own version.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import type { Config } from '../../node-core/config/index.ts';
import type { Logger } from '../../node-core/log/logger.ts';
import { applyEntries } from '../../node-core/replication/apply.ts';
import type { Link } from '../../node-core/replication/link.ts';
import { REHOME_CHECK_INTERVAL_MS, Rehomer } from '../../node-core/replication/rehome.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { LogEntry } from '../../node-core/storage/types.ts';
import { waitFor } from '../support/node-process.ts';

const SELF = 'local-node';
const acceptAll = { accepts: () => true };
const roots: string[] = [];
const storages: Storage[] = [];
after(async () => {
  for (const storage of storages) await storage.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

async function openDatabase(): Promise<{ db: Database; clock: HybridLogicalClock }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-shard-'));
  roots.push(root);
  const clock = new HybridLogicalClock();
  const storage = Storage.open(root, { nodeName: SELF, clock });
  storages.push(storage);
  const db = storage.createDatabase('dev');
  await db.createTable({ name: 'item', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  return { db, clock };
}

const put = (v: number, o: string, h: string[], stub = false): LogEntry => ({ v, o, u: null, w: [stub ? { t: 'item', k: 'k1', h, x: true } : { t: 'item', k: 'k1', r: { id: 'k1', v }, h }] });

describe('sharded apply', () => {
  test('a non-holder keeps a stub; the record replaces it when this node holds a later write', async () => {
    const { db, clock } = await openDatabase();
    await applyEntries(db, clock, 'a', [[1, put(1000, 'a', ['a', 'b'], true)]], 1, acceptAll);
    const table = db.requireTable('item');
    assert.equal(table.get('k1'), undefined);
    assert.deepEqual(table.getStub('k1'), { v: 1000, o: 'a', h: ['a', 'b'] });
    await applyEntries(db, clock, 'a', [[2, put(2000, 'a', ['a', SELF])]], 2, acceptAll);
    assert.deepEqual(table.get('k1'), { id: 'k1', v: 2000 });
    assert.equal(table.getStub('k1'), undefined);
    assert.equal(table.stubCount(), 0);
  });

  test('a holder that got the stub of a write first still takes that write’s record', async () => {
    const { db, clock } = await openDatabase();
    await applyEntries(db, clock, 'c', [[1, put(1000, 'a', ['a', SELF], true)]], 1, acceptAll);
    await applyEntries(db, clock, 'a', [[1, put(1000, 'a', ['a', SELF])]], 1, acceptAll);
    assert.deepEqual(db.requireTable('item').get('k1'), { id: 'k1', v: 1000 });
  });

  test('a delete replaces a stub with a tombstone, and an older write does not come back', async () => {
    const { db, clock } = await openDatabase();
    await applyEntries(db, clock, 'a', [[1, put(1000, 'a', ['a', 'b'], true)]], 1, acceptAll);
    await applyEntries(db, clock, 'b', [[1, { v: 3000, o: 'b', u: null, w: [{ t: 'item', k: 'k1', d: true }] }]], 1, acceptAll);
    const table = db.requireTable('item');
    assert.equal(table.getStub('k1'), undefined);
    assert.equal(table.getTombstone('k1')?.v, 3000);
    await applyEntries(db, clock, 'a', [[2, put(2000, 'a', ['a', SELF])]], 2, acceptAll);
    assert.equal(table.get('k1'), undefined);
  });

  test('a holder list that is not a list of names closes the link (ProtocolError)', async () => {
    const { db, clock } = await openDatabase();
    const bad = { v: 1000, o: 'a', u: null, w: [{ t: 'item', k: 'k1', r: { id: 'k1' }, h: 'local-node' }] } as unknown as LogEntry;
    await assert.rejects(applyEntries(db, clock, 'a', [[1, bad]], 1, acceptAll), /bad holder list/);
  });
});

describe('re-homing a member down past the bound', () => {
  test('its records get a new holder, logged under their own version and origin', async () => {
    const { db } = await openDatabase();
    await db.transact((tx) => {
      db.requireTable('item').writeRecord('k1', { id: 'k1' }, tx.version, tx.origin, undefined, [SELF, 'p1']);
      tx.logWrite({ t: 'item', k: 'k1', r: { id: 'k1' }, h: [SELF, 'p1'] });
    }, { user: null });
    const written = db.requireTable('item').getStored('k1')!;
    const config = { replication: { databases: [{ name: 'dev', replicateTo: 1 }], shard: null } } as unknown as Config;
    // p2 is linked; p1 never is, so it is down from the first check on.
    const links = [{ peer: 'p2', state: 'open', database: { name: 'dev' } }] as unknown as Link[];
    const downAfterMs = REHOME_CHECK_INTERVAL_MS;
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;
    const rehomer = new Rehomer(
      { memberSource: { nodeName: SELF, config, nodes: () => [{ name: SELF }, { name: 'p1' }, { name: 'p2' }] }, logger, links: () => links, database: () => db },
      downAfterMs,
    );
    const before = db.lastSequence();
    rehomer.start();
    try {
      // Progress counts a batch once its commit resolved: wait on it, not on the record.
      await waitFor('k1 to be re-homed', async () => (rehomer.progress('dev', 'item')?.moved === 1 ? true : undefined), 10_000, 20);
    } finally {
      rehomer.stop();
    }
    const stored = db.requireTable('item').getStored('k1')!;
    assert.deepEqual(stored.h, [SELF, 'p2']);
    assert.deepEqual([stored.v, stored.o], [written.v, written.o]);
    const entries = [...db.readLog(before, 10)].map(({ entry }) => entry);
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0]!.v, entries[0]!.o, entries[0]!.w[0]!.h], [written.v, written.o, [SELF, 'p2']]);
    assert.deepEqual(rehomer.progress('dev', 'item'), { moved: 1, total: 1 });
  });
});
