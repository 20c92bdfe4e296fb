/**
 * lmdb's shared encode buffer after a large transaction (node-core/storage/encoder-buffer.ts),
 * on real LMDB: msgpackr grows one module-wide buffer to fit the largest value it packs and
 * keeps it, so without the release a node held ~1.5-2x its largest log entry for good. What
 * the encoder packs next lands in the buffer it holds (REUSE_BUFFER_MODE returns that buffer
 * itself), which shows its size.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { RELEASE_AFTER_VALUE_BYTES, sharedEncoderOf } from '../../node-core/storage/encoder-buffer.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import { bulkLoad } from '../../node-core/storage/bulk-load.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';

/** msgpackr's flag for "return the shared buffer itself, with start and end". */
const REUSE_BUFFER_MODE = 512;
const RECORD_BYTES = 1024 * 1024;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-encoder-buffer-'));
const storage = Storage.open(root, { nodeName: 'local-node', clock: new HybridLogicalClock() });
after(async () => {
  await storage.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface ReusingEncoder {
  encode(value: unknown, mode: number): Buffer;
}

function sharedBufferBytes(store: object): number {
  return (sharedEncoderOf(store) as ReusingEncoder).encode({ small: true }, REUSE_BUFFER_MODE).length;
}

test('a transaction larger than the release size leaves lmdb its small encode buffer, and stays readable', async () => {
  const database = storage.createDatabase('data');
  const table = await database.createTable({ name: 'big', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  const count = Math.ceil((8 * RELEASE_AFTER_VALUE_BYTES) / RECORD_BYTES);
  const records = Array.from({ length: count }, (_, i) => ({ id: i, payload: String(i % 10).repeat(RECORD_BYTES) }));
  await database.transact((tx) => writeRecords(tx, tx.table('big'), records, records.map((r) => r.id), 'insert'), { user: null });
  const shared = sharedBufferBytes(table.stores.records);
  assert.ok(shared < RELEASE_AFTER_VALUE_BYTES, `lmdb's shared encode buffer is ${shared} bytes after a ${count} MB transaction`);
  assert.equal((table.get(count - 1)?.payload as string | undefined)?.length, RECORD_BYTES, 'the large transaction is stored whole');
  assert.equal(database.logEntry(database.lastSequence())?.w.length, count, 'its log entry is stored whole');
});

test('a bulk load (an initial copy) of large records leaves lmdb its small encode buffer', async () => {
  const database = storage.database('data')!;
  const table = await database.createTable({ name: 'copied', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  const recordBytes = 3 * RELEASE_AFTER_VALUE_BYTES;
  const rows = [0, 1].map((id) => [id, 1 + id, 'peer', { id, payload: 'x'.repeat(recordBytes) }] as const);
  await bulkLoad(database, [{ table, rows }], { decide: () => 'record', storedAt: Date.now() });
  const shared = sharedBufferBytes(table.stores.records);
  assert.ok(shared < RELEASE_AFTER_VALUE_BYTES, `lmdb's shared encode buffer is ${shared} bytes after copying two ${recordBytes}-byte records`);
  assert.equal((table.get(1)?.payload as string | undefined)?.length, recordBytes);
});
