/**
 * The table limit against LMDB's real sub-database limit (node-core/security/table-limit.ts):
 * a database takes MAX_TABLES_PER_DATABASE tables, each with every sub-database a table opens,
 * and the next create is a 400 naming the limit. The bound once counted three sub-databases per
 * table while a table opened four (stubs came with sharding), so table 750 of 900 failed inside
 * LMDB with MDB_DBS_FULL instead.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { isOpError } from '../../node-core/errors.ts';
import { MAX_TABLES_PER_DATABASE } from '../../node-core/security/table-limit.ts';
import { Storage } from '../../node-core/storage/storage.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-table-limit-'));
const storage = Storage.open(root, { nodeName: 'local-node', clock: new HybridLogicalClock() });
after(async () => {
  await storage.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const definition = (i: number) => ({ name: `t${i}`, primaryKey: 'id', attributes: ['id'], replicate: true });

test(`a database holds ${MAX_TABLES_PER_DATABASE} tables, and the next one is refused with a 400 naming the limit`, async () => {
  const database = storage.createDatabase('wide');
  for (let i = 0; i < MAX_TABLES_PER_DATABASE; i++) await database.createTable(definition(i), { user: null });
  assert.equal(database.tables().length, MAX_TABLES_PER_DATABASE);
  await assert.rejects(database.createTable(definition(MAX_TABLES_PER_DATABASE), { user: null }), (error: unknown) => {
    assert.ok(isOpError(error), `an OpError, not ${String(error)}`);
    assert.equal(error.status, 400);
    assert.match(error.message, new RegExp(`at most ${MAX_TABLES_PER_DATABASE}`));
    return true;
  });
  const last = database.requireTable(`t${MAX_TABLES_PER_DATABASE - 1}`);
  await database.transact((tx) => void tx.table(last.name), { user: null });
  assert.equal(last.get(1), undefined, 'the last table is usable');
});
