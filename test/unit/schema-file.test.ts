/**
 * Tables declared in schema.graphql: parsed with graphql, created at start when missing, with
 * their primary key, attributes and replicate flag; a bad file is refused naming file and line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { applySchemaFile, parseSchemaFile, SchemaFileError } from '../../node-core/storage/schema-file.ts';
import { Storage } from '../../node-core/storage/storage.ts';

const SCHEMA = `
type Dog @table(database: "dev", replicate: false) {
  dogId: ID @primaryKey
  name: String @indexed
  age: Int
}
type Breed @table {
  id: ID
  label: String
}
type NotATable { x: Int }
`;

test('declared tables are parsed with their database, key, attributes and replicate flag', () => {
  assert.deepEqual(parseSchemaFile('schema.graphql', SCHEMA), [
    { database: 'dev', table: 'Dog', primaryKey: 'dogId', attributes: ['dogId', 'name', 'age'], replicate: false },
    { database: 'data', table: 'Breed', primaryKey: 'id', attributes: ['id', 'label'], replicate: true },
  ]);
});

test('bad files are refused naming the file and the problem', () => {
  assert.throws(() => parseSchemaFile('s.graphql', 'type {'), (e: unknown) => e instanceof SchemaFileError && /s\.graphql.*Syntax Error/.test((e as Error).message));
  assert.throws(() => parseSchemaFile('s.graphql', 'type T @table(replicate: "no") { id: ID }'), /s\.graphql line 1: @table\(replicate:\) must be true or false/);
  assert.throws(() => parseSchemaFile('s.graphql', 'type T @table(database: "../x") { id: ID }'), /database name "\.\.\/x"/);
  assert.throws(() => parseSchemaFile('s.graphql', 'type T @table { a: ID @primaryKey b: ID @primaryKey }'), /more than one @primaryKey/);
});

test('missing tables are created at start; existing ones are left alone', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-schema-'));
  try {
    fs.writeFileSync(path.join(root, 'schema.graphql'), SCHEMA);
    const storage = Storage.open(root, { nodeName: 'n1', clock: new HybridLogicalClock() });
    const created = await applySchemaFile(root, storage);
    assert.deepEqual(created.map((t) => `${t.database}.${t.table}`), ['dev.Dog', 'data.Breed']);
    const dog = storage.requireDatabase('dev').requireTable('Dog');
    assert.equal(dog.primaryKey, 'dogId');
    assert.equal(dog.definition.replicate, false);
    assert.deepEqual(dog.definition.attributes, ['dogId', 'name', 'age']);
    assert.deepEqual(await applySchemaFile(root, storage), []);
    await storage.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
