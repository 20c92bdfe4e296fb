/**
 * Secondary-index searches on a 100k-record table on disk (real LMDB, built through node-core's
 * storage API): exact answers, and `visited` shows an index lookup or range visits only about
 * what it returns while not_equal / contains read the whole table. Then the same answers
 * through the HTTP API of a real node on a smaller table.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { conditionForValue, search, type Condition } from '../../node-core/storage/search.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { Table } from '../../node-core/storage/table.ts';
import type { DataRecord } from '../../node-core/storage/types.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';
import { NodeProcess } from '../support/node-process.ts';

const RECORDS = 100_000;
const CATEGORIES = 1000;
const BATCH = 5000;
/** index entries and records read beyond 2 per match: a range's end marker and the like */
const SLACK = 5;

function category(i: number): string {
  return `cat-${String(i % CATEGORIES).padStart(4, '0')}`;
}
/** 7919 is coprime with 100000: a permutation of 0..99999, so ranges hit scattered ids. */
function score(i: number): number {
  return (i * 7919) % 100_000;
}
function name(i: number): string {
  return `n${String(i).padStart(6, '0')}`;
}
function record(i: number): DataRecord {
  return { id: i, category: category(i), score: score(i), name: name(i) };
}

/** The ids of `records` as a sorted array, for exact comparisons. */
function ids(records: readonly DataRecord[]): number[] {
  return records.map((r) => r.id as number).sort((a, b) => a - b);
}
function expectedIds(count: number, predicate: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (predicate(i)) out.push(i);
  return out;
}

describe('indexed search on a 100k-record table (storage API, on disk)', () => {
  let root: string;
  let storage: Storage;
  let table: Table;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-index-search-'));
    storage = Storage.open(root, { nodeName: 'index-search-test', clock: new HybridLogicalClock() });
    const database = storage.createDatabase('data');
    table = await database.createTable(
      { name: 'things', primaryKey: 'id', attributes: ['id', 'category', 'score', 'name'], replicate: true },
      { user: null },
    );
    const pending: Promise<unknown>[] = [];
    for (let start = 0; start < RECORDS; start += BATCH) {
      const rows = Array.from({ length: BATCH }, (_, j) => record(start + j));
      const keys = rows.map((r) => r.id as number);
      pending.push(database.transact((tx) => writeRecords(tx, tx.table('things'), rows, keys, 'insert'), { user: null }));
      if (pending.length >= 4) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    // Reopen, so the searches read what is on disk rather than anything held from the writes.
    await storage.close();
    storage = Storage.open(root, { nodeName: 'index-search-test', clock: new HybridLogicalClock() });
    table = storage.requireDatabase('data').requireTable('things');
  });

  after(async () => {
    await storage?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the table holds all 100k records', () => {
    assert.equal(table.recordCount(), RECORDS);
  });

  test('equality on an indexed attribute returns exactly its records and visits ≈ 2 per match', () => {
    for (const value of [0, 42, 999]) {
      const wanted = category(value);
      const result = search(table, conditionForValue('category', wanted));
      const expected = expectedIds(RECORDS, (i) => category(i) === wanted);
      assert.equal(expected.length, RECORDS / CATEGORIES);
      assert.deepEqual(ids(result.records), expected);
      for (const r of result.records) assert.equal(r.category, wanted);
      assert.ok(result.visited <= 2 * expected.length + SLACK, `visited ${result.visited} for ${expected.length} matches`);
    }
  });

  test('equality on a value no record has visits almost nothing', () => {
    const result = search(table, conditionForValue('category', 'cat-none'));
    assert.deepEqual(result.records, []);
    assert.ok(result.visited <= SLACK, `visited ${result.visited}`);
  });

  test('not_equal and contains have no ordered range: they visit the whole table', () => {
    const notEqual = search(table, { attribute: 'category', comparator: 'not_equal', value: category(7) });
    assert.equal(notEqual.records.length, RECORDS - RECORDS / CATEGORIES);
    assert.ok(notEqual.visited >= RECORDS, `not_equal visited ${notEqual.visited}`);

    const contains = search(table, conditionForValue('category', '*t-004*'));
    assert.deepEqual(ids(contains.records), expectedIds(RECORDS, (i) => category(i).includes('t-004')));
    assert.ok(contains.visited >= RECORDS, `contains visited ${contains.visited}`);
  });

  test('starts_with visits only the prefix range', () => {
    for (const prefix of ['n01234', 'n0999', 'n09999']) {
      const result = search(table, conditionForValue('name', `${prefix}*`));
      const expected = expectedIds(RECORDS, (i) => name(i).startsWith(prefix));
      assert.ok(expected.length > 0);
      assert.deepEqual(ids(result.records), expected);
      assert.ok(result.visited <= 2 * expected.length + SLACK, `starts_with ${prefix}: visited ${result.visited} for ${expected.length} matches`);
    }
  });

  test('between visits only the range', () => {
    for (const [low, high] of [
      [5_000, 5_099],
      [0, 9],
      [99_950, 100_500],
    ] as const) {
      const condition: Condition = { attribute: 'score', comparator: 'between', value: [low, high] };
      const result = search(table, { operator: 'and', conditions: [condition] });
      const expected = expectedIds(RECORDS, (i) => score(i) >= low && score(i) <= high);
      assert.ok(expected.length > 0);
      assert.deepEqual(ids(result.records), expected);
      assert.ok(result.visited <= 2 * expected.length + SLACK, `between [${low}, ${high}]: visited ${result.visited} for ${expected.length} matches`);
    }
  });

  test('an AND draws its candidates from the most selective index', () => {
    const result = search(table, {
      operator: 'and',
      conditions: [
        { attribute: 'score', comparator: 'greater_than_equal', value: 0 },
        { attribute: 'category', comparator: 'equals', value: category(5) },
      ],
    });
    const expected = expectedIds(RECORDS, (i) => category(i) === category(5));
    assert.deepEqual(ids(result.records), expected);
    assert.ok(result.visited <= 2 * expected.length + SLACK, `visited ${result.visited}`);
  });
});

describe('the same searches through the HTTP API of a real node', () => {
  const COUNT = 5_000;
  let node: NodeProcess;

  before(async () => {
    node = await NodeProcess.start();
    await node.ok({ operation: 'create_table', database: 'data', table: 'things', primary_key: 'id' });
    for (let start = 0; start < COUNT; start += 1000) {
      const records = Array.from({ length: 1000 }, (_, j) => record(start + j));
      const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: 'data', table: 'things', records });
      assert.equal(body.inserted_hashes.length, 1000);
    }
  });

  after(async () => node?.cleanup());

  test('search_by_value equality returns exactly the matching records', async () => {
    const records = await node.ok<DataRecord[]>({ operation: 'search_by_value', table: 'things', attribute: 'category', value: category(17), get_attributes: ['*'] });
    assert.deepEqual(ids(records), expectedIds(COUNT, (i) => category(i) === category(17)));
  });

  test('search_by_value starts_with and search_by_conditions between', async () => {
    const prefixed = await node.ok<DataRecord[]>({ operation: 'search_by_value', table: 'things', attribute: 'name', value: 'n00123*', get_attributes: ['id'] });
    assert.deepEqual(ids(prefixed), expectedIds(COUNT, (i) => name(i).startsWith('n00123')));

    const ranged = await node.ok<DataRecord[]>({
      operation: 'search_by_conditions',
      table: 'things',
      conditions: [{ attribute: 'score', comparator: 'between', value: [20_000, 29_999] }],
      get_attributes: ['id', 'score'],
    });
    assert.deepEqual(ids(ranged), expectedIds(COUNT, (i) => score(i) >= 20_000 && score(i) <= 29_999));
  });
});
