// Unit tests of the table browser's pure logic: the request a query state becomes, value
// parsing, columns (never a password), CSV/JSON export and record JSON validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCsv, toJson } from '../../renderer/features/tables/export.ts';
import { checkRecordJson, jsonErrorOffset } from '../../renderer/features/tables/json-check.ts';
import { buildRequest, columnsOf, initialQueryState, parseValue, withoutSecrets } from '../../renderer/features/tables/query-state.ts';

const dog = { database: 'data', table: 'dog' };

test('browsing asks search_by_conditions for one page (plus one row) sorted by the primary key', () => {
  const state = { ...initialQueryState('id'), page: 2, pageSize: 25 };
  assert.deepEqual(buildRequest(dog, state, 'id'), {
    operation: 'search_by_conditions',
    request: { ...dog, operator: 'and', conditions: [], sort: { attribute: 'id', descending: false }, limit: 26, offset: 50 },
  });
});

test('conditions and value searches become their operations', () => {
  const state = {
    ...initialQueryState('id'),
    mode: 'conditions' as const,
    operator: 'or' as const,
    sort: { attribute: 'name', descending: true },
    conditions: [
      { id: 1, attribute: 'age', comparator: 'between' as const, value: '2', value2: '5' },
      { id: 2, attribute: 'name', comparator: 'starts_with' as const, value: 'Re', value2: '' },
    ],
  };
  const built = buildRequest(dog, state, 'id');
  assert.equal(built.operation, 'search_by_conditions');
  assert.deepEqual(built.request, {
    ...dog,
    operator: 'or',
    conditions: [
      { attribute: 'age', comparator: 'between', value: [2, 5] },
      { attribute: 'name', comparator: 'starts_with', value: 'Re' },
    ],
    sort: { attribute: 'name', descending: true },
    limit: 26,
    offset: 0,
  });
  assert.deepEqual(buildRequest(dog, { ...initialQueryState('id'), mode: 'value', valueAttribute: 'name', valueText: 'F*' }, 'id'), {
    operation: 'search_by_value',
    request: { ...dog, attribute: 'name', value: 'F*', limit: 26, offset: 0 },
  });
});

test('typed values: JSON scalars as such, quoted text as text', () => {
  assert.equal(parseValue('42'), 42);
  assert.equal(parseValue('-1.5e3'), -1500);
  assert.equal(parseValue('true'), true);
  assert.equal(parseValue('null'), null);
  assert.equal(parseValue('"42"'), '42');
  assert.equal(parseValue('Rex'), 'Rex');
});

test('columns: primary key first, timestamps last, never a password of hdb_user', () => {
  assert.deepEqual(columnsOf(dog, 'id', ['id', 'name', '__createdtime__', '__updatedtime__'], [{ id: 1, age: 3, name: 'x' }]), ['id', 'age', 'name', '__createdtime__', '__updatedtime__']);
  const users = { database: 'system', table: 'hdb_user' };
  assert.deepEqual(columnsOf(users, 'username', ['username', 'password', 'role'], [{ username: 'a', password: 'hash' }]), ['username', 'role']);
  assert.deepEqual(withoutSecrets(users, [{ username: 'a', password: 'hash', role: 'x' }]), [{ username: 'a', role: 'x' }]);
});

test('CSV quotes what needs it, keeps objects as JSON and defuses formulas', () => {
  const csv = toCsv(['id', 'name', 'tags', 'note'], [
    { id: 1, name: 'Fido, "the brave"', tags: ['a', 'b'], note: '=HYPERLINK("x")' },
    { id: 2, name: 'line\nbreak', note: null },
  ]);
  assert.equal(csv, 'id,name,tags,note\r\n1,"Fido, ""the brave""","[""a"",""b""]","\'=HYPERLINK(""x"")"\r\n2,"line\nbreak",,\r\n');
  assert.deepEqual(JSON.parse(toJson([{ id: 1 }])), [{ id: 1 }]);
});

test('record JSON: parse errors with line and column, objects only, the key kept on edit', () => {
  const bad = checkRecordJson('{\n  "id": 1,\n  "name": \n}', 'id', 'insert');
  assert.equal(bad.ok, false);
  assert.match((bad as { problem: string }).problem, /^Not valid JSON at line 4, column 1: Unexpected token '\}'$/);
  assert.match((checkRecordJson('[1]', 'id', 'insert') as { problem: string }).problem, /one JSON object/);
  assert.match((checkRecordJson('{"id": {"a": 1}}', 'id', 'insert') as { problem: string }).problem, /string or a number/);
  assert.match((checkRecordJson('{"id": 2}', 'id', 'update', 1) as { problem: string }).problem, /cannot be changed \(was 1\)/);
  assert.deepEqual(checkRecordJson('{"id": 1, "name": "x", "__updatedtime__": 5}', 'id', 'update', 1), { ok: true, record: { id: 1, name: 'x' } });
  assert.deepEqual(checkRecordJson('{"name": "x"}', 'id', 'insert'), { ok: true, record: { name: 'x' } });
});

test('the JSON error scan agrees with JSON.parse on what is valid', () => {
  const samples = ['{}', '[]', '{"a":[1,2,{"b":null}],"c":"x\\u00e9\\n"}', ' 1 ', '-0.5e-3', 'true', '"s"', '{"a":1,}', '[1,]', '{a:1}', '01', '-', '"\\x"', '{"a":1} x', '', 'nul', '"unterminated', '[1 2]', '{"a" 1}', '1.', '"tab\there"'];
  for (const sample of samples) {
    let valid = true;
    try {
      JSON.parse(sample);
    } catch {
      valid = false;
    }
    assert.equal(jsonErrorOffset(sample) === -1, valid, JSON.stringify(sample));
  }
  assert.equal(jsonErrorOffset('{"a":1,}'), 7);
  assert.equal(jsonErrorOffset('[1 2]'), 3);
});
