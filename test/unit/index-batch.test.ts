/**
 * Index writes held back to the end of a transaction (node-core/storage/index-batch.ts), on real
 * LMDB: a record written twice, or written then deleted, in one transaction leaves exactly the
 * index entries of its final state; an index read inside the transaction sees the writes held
 * back before it; an aborted transaction leaves no entry; a replicated batch of several entries
 * (transactBatch) ends as the same writes one by one would.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { Table } from '../../node-core/storage/table.ts';
import { deleteRecords, writeRecords } from '../../node-core/storage/writes.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-index-batch-'));
const storage = Storage.open(root, { nodeName: 'local-node', clock: new HybridLogicalClock() });
after(async () => {
  await storage.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let tables = 0;
async function freshTable(): Promise<{ database: Database; table: Table }> {
  const database = storage.database('data') ?? storage.createDatabase('data');
  const table = await database.createTable({ name: `t${tables++}`, primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  return { database, table };
}

/** Every [attribute, value, key] entry of the table's index except the timestamps. */
function entries(table: Table): Array<[string, unknown, unknown]> {
  const out: Array<[string, unknown, unknown]> = [];
  for (const { key, value } of table.stores.index.getRange({})) {
    const [attribute, indexed] = key as unknown as [string, unknown];
    if (!attribute.startsWith('__')) out.push([attribute, indexed, value]);
  }
  return out;
}

test('a record written twice in one transaction is indexed by its final values only', async () => {
  const { database, table } = await freshTable();
  const records = [
    { id: 1, colour: 'red', size: 3 },
    { id: 1, colour: 'blue', size: 3 },
    { id: 2, colour: 'red' },
  ];
  await database.transact((tx) => writeRecords(tx, tx.table(table.name), records, [1, 1, 2], 'upsert'), { user: null });
  assert.deepEqual(entries(table), [['colour', 'blue', 1], ['colour', 'red', 2], ['size', 3, 1]]);
});

test('written then deleted in one transaction: no entry is left', async () => {
  const { database, table } = await freshTable();
  await database.transact((tx) => {
    writeRecords(tx, tx.table(table.name), [{ id: 1, colour: 'red' }], [1], 'insert');
    deleteRecords(tx, tx.table(table.name), [1]);
    writeRecords(tx, tx.table(table.name), [{ id: 2, colour: 'green' }], [2], 'insert');
  }, { user: null });
  assert.deepEqual(entries(table), [['colour', 'green', 2]]);
});

test('an index read inside the transaction sees what was written before it', async () => {
  const { database, table } = await freshTable();
  const seen = await database.transact((tx) => {
    writeRecords(tx, tx.table(table.name), [{ id: 7, colour: 'red' }], [7], 'insert');
    return tx.table(table.name).keysWithValue('colour', 'red');
  }, { user: null });
  assert.deepEqual(seen, [7]);
  assert.deepEqual(entries(table), [['colour', 'red', 7]]);
});

test('an aborted transaction leaves no index entry, and the next one writes its own', async () => {
  const { database, table } = await freshTable();
  await assert.rejects(
    database.transact((tx) => {
      writeRecords(tx, tx.table(table.name), [{ id: 1, colour: 'red' }], [1], 'insert');
      throw new Error('abort');
    }, { user: null }),
    /abort/,
  );
  await database.transact((tx) => writeRecords(tx, tx.table(table.name), [{ id: 2, colour: 'blue' }], [2], 'insert'), { user: null });
  assert.deepEqual(entries(table), [['colour', 'blue', 2]]);
});

test('several logged transactions in one commit (transactBatch) end as one by one', async () => {
  const { database, table } = await freshTable();
  const write = (records: Array<Record<string, unknown>>) => (tx: Parameters<Parameters<Database['transact']>[0]>[0]) =>
    void writeRecords(tx, tx.table(table.name), records, records.map((r) => r.id as number), 'upsert');
  await database.transactBatch([
    { options: { user: null }, write: write([{ id: 1, colour: 'red' }, { id: 2, colour: 'red' }]) },
    { options: { user: null }, write: write([{ id: 1, colour: 'blue' }]) },
    { options: { user: null }, write: (tx) => void deleteRecords(tx, tx.table(table.name), [2]) },
  ]);
  assert.deepEqual(entries(table), [['colour', 'blue', 1]]);
});
