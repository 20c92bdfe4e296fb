/**
 * Strings longer than MAX_INDEXED_STRING_LENGTH are not indexed (real LMDB, node-core's storage
 * API): they leave no index entry, the table remembers which attributes held one (across a
 * restart, and not after an aborted transaction), and every search still answers exactly as a
 * plain filter over the records does — random records with strings either side of the limit,
 * alone and in arrays, against every comparator (fast-check). A definition written before the
 * field existed counts every attribute, since its index held long strings by a prefix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import { open } from 'lmdb';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { MAX_INDEXED_STRING_LENGTH } from '../../node-core/storage/indexing.ts';
import { search, type Comparator, type Condition } from '../../node-core/storage/search.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { Table } from '../../node-core/storage/table.ts';
import type { DataRecord, TableDefinition } from '../../node-core/storage/types.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';

const LONG = 'x'.repeat(MAX_INDEXED_STRING_LENGTH) + 'tail';
const AT_LIMIT = 'y'.repeat(MAX_INDEXED_STRING_LENGTH);

const roots: string[] = [];
function freshRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-unindexed-'));
  roots.push(root);
  return root;
}
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function openStorage(root: string): Storage {
  return Storage.open(root, { nodeName: 'unindexed-test', clock: new HybridLogicalClock() });
}

async function freshTable(database: Database, name = 'notes'): Promise<Table> {
  return database.createTable({ name, primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
}

async function upsert(database: Database, table: Table, records: DataRecord[]): Promise<void> {
  await database.transact((tx) => writeRecords(tx, tx.table(table.name), records, records.map((r) => r.id as number), 'upsert'), { user: null });
}

/** Every index value of `attribute`, in index order. */
function indexValues(table: Table, attribute: string): unknown[] {
  const out: unknown[] = [];
  table.scanIndex(attribute, undefined, (value) => {
    out.push(value);
    return true;
  });
  return out;
}

function ids(records: readonly DataRecord[]): number[] {
  return records.map((r) => r.id as number).sort((a, b) => a - b);
}

describe('strings too long to index', () => {
  let storage: Storage;
  let database: Database;
  let root: string;

  beforeEach(() => {
    root = freshRoot();
    storage = openStorage(root);
    database = storage.createDatabase('data');
  });
  afterEach(() => storage.close());

  test('a long string leaves no index entry; one at the limit is indexed; the attribute is noted', async () => {
    const table = await freshTable(database);
    assert.equal(table.hasUnindexedValues('text'), false, 'a new table has no unindexed attributes');
    await upsert(database, table, [
      { id: 1, text: LONG, tags: ['short', LONG] },
      { id: 2, text: AT_LIMIT, tags: ['short'] },
    ]);
    assert.deepEqual(indexValues(table, 'text'), [AT_LIMIT]);
    assert.deepEqual(indexValues(table, 'tags'), ['short', 'short'], 'one entry per record');
    assert.equal(table.hasUnindexedValues('text'), true);
    assert.equal(table.hasUnindexedValues('tags'), true);
    assert.equal(table.hasUnindexedValues('id'), false);
    assert.equal(table.hasUnindexedValues('__updatedtime__'), false, 'timestamps are numbers, always indexed');
  });

  test('the noted attributes survive a restart, and searches find long values after it', async () => {
    let table = await freshTable(database);
    await upsert(database, table, [{ id: 1, text: LONG }, { id: 2, text: 'short' }]);
    await storage.close();
    storage = openStorage(root);
    database = storage.requireDatabase('data');
    table = database.requireTable('notes');
    assert.equal(table.hasUnindexedValues('text'), true);
    assert.deepEqual(ids(search(table, { attribute: 'text', comparator: 'equals', value: LONG }).records), [1]);
    assert.deepEqual(ids(search(table, { attribute: 'text', comparator: 'starts_with', value: 'x' }).records), [1]);
  });

  test('an aborted transaction does not leave its attribute noted', async () => {
    const table = await freshTable(database);
    await upsert(database, table, [{ id: 1, text: 'short' }]);
    await assert.rejects(
      database.transact((tx) => {
        writeRecords(tx, tx.table('notes'), [{ id: 2, text: LONG }], [2], 'upsert');
        throw new Error('abort');
      }, { user: null }),
      /abort/,
    );
    assert.equal(table.hasUnindexedValues('text'), false);
    assert.deepEqual(ids(search(table, { attribute: 'text', comparator: 'starts_with', value: 's' }).records), [1]);
  });

  test('searches on an attribute without long strings still use the index (no scan)', async () => {
    const table = await freshTable(database);
    const records = Array.from({ length: 200 }, (_, i) => ({ id: i, text: `t${String(i).padStart(3, '0')}` }));
    await upsert(database, table, records);
    const result = search(table, { attribute: 'text', comparator: 'starts_with', value: 't01' });
    assert.equal(result.records.length, 10);
    assert.ok(result.visited <= 2 * 10 + 2, `visited ${result.visited}`);
    const long = search(table, { attribute: 'text', comparator: 'equals', value: LONG });
    assert.deepEqual(long.records, []);
    assert.equal(long.visited, 0);
  });

  test('a definition from before `unindexed` existed counts every attribute (its index held prefixes)', async () => {
    const table = await freshTable(database);
    await upsert(database, table, [{ id: 1, text: 'short', n: 3 }]);
    await storage.close();
    const env = open({ path: path.join(root, 'database', 'data.mdb'), maxDbs: 3000 });
    const meta = env.openDB('meta', {});
    const stored = meta.get(['table', 'notes']) as TableDefinition;
    delete stored.unindexed;
    await meta.put(['table', 'notes'], stored);
    await env.close();
    storage = openStorage(root);
    const legacy = storage.requireDatabase('data').requireTable('notes');
    for (const attribute of ['id', 'text', 'n']) assert.equal(legacy.hasUnindexedValues(attribute), true, attribute);
    assert.deepEqual(ids(search(legacy, { attribute: 'text', comparator: 'starts_with', value: 'sh' }).records), [1]);
  });
});

// ---- every comparator against a plain filter ----

const STRING_COMPARATORS: Comparator[] = ['equals', 'contains', 'starts_with', 'ends_with', 'greater_than', 'greater_than_equal', 'less_than', 'less_than_equal', 'between', 'not_equal'];

/** The comparator's meaning on one string (arrays: any element; contains on arrays: element equal or containing). */
function holds(comparator: Comparator, actual: string, value: string | [string, string]): boolean {
  const v = value as string;
  switch (comparator) {
    case 'equals':
      return actual === v;
    case 'not_equal':
      return actual !== v;
    case 'contains':
      return actual.includes(v);
    case 'starts_with':
      return actual.startsWith(v);
    case 'ends_with':
      return actual.endsWith(v);
    case 'greater_than':
      return actual > v;
    case 'greater_than_equal':
      return actual >= v;
    case 'less_than':
      return actual < v;
    case 'less_than_equal':
      return actual <= v;
    case 'between':
      return actual >= value[0]! && actual <= value[1]!;
  }
}

function expected(records: readonly DataRecord[], condition: Condition): number[] {
  return ids(
    records.filter((record) => {
      const actual = record.text as string | string[] | undefined;
      if (condition.comparator === 'not_equal') return !(Array.isArray(actual) ? actual.includes(condition.value as string) : actual === condition.value);
      if (actual === undefined) return false;
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((one) => holds(condition.comparator, one, condition.value as string));
    }),
  );
}

describe('every comparator answers as a plain filter, strings either side of the limit', () => {
  test('random records and conditions (fast-check)', async () => {
    const root = freshRoot();
    const storage = openStorage(root);
    const database = storage.createDatabase('data');
    let round = 0;
    // Strings from a small alphabet with lengths around the limit, so prefixes and ranges collide.
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 0, maxLength: 4 }),
      fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: MAX_INDEXED_STRING_LENGTH - 2, max: MAX_INDEXED_STRING_LENGTH + 2 }), fc.constantFrom('', 'a', 'b'))
        .map(([c, n, end]) => c.repeat(n) + end),
    );
    const value = fc.oneof(text, text.map((s) => s.slice(0, 3)));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 12 }),
          fc.constantFrom(...STRING_COMPARATORS),
          value,
          value,
          async (texts, comparator, v1, v2) => {
            const table = await freshTable(database, `t${round++}`);
            const records = texts.map((t, id) => ({ id, text: t }));
            await upsert(database, table, records);
            const condition: Condition = { attribute: 'text', comparator, value: comparator === 'between' ? [v1 < v2 ? v1 : v2, v1 < v2 ? v2 : v1] : v1 };
            assert.deepEqual(ids(search(table, condition).records), expected(records, condition), JSON.stringify(condition));
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      await storage.close();
    }
  });
});
