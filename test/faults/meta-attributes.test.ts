/**
 * The read-only `$version` and `$origin` the fault suite judges winners by: get_attributes of
 * search_by_id / search_by_value / search_by_conditions returns each record's stored version
 * and origin node, beside `*` or alone; writes may not set them (attribute names beginning
 * with "$" are reserved), so a read can never confuse a record's data with its metadata.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { assertError } from '../support/ops.ts';

let node: NodeProcess;
before(async () => {
  node = await NodeProcess.start();
  await node.ok({ operation: 'create_table', database: 'meta', table: 'dog', primary_key: 'id' });
  await node.ok({ operation: 'insert', database: 'meta', table: 'dog', records: [{ id: 1, name: 'Penny' }, { id: 2, name: 'Rex' }] });
});
after(async () => node?.cleanup());

test('get_attributes ["$version", "$origin"] in all three searches: the stored version and origin', async () => {
  const byId = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_id', database: 'meta', table: 'dog', ids: [1, 2], get_attributes: ['id', '$version', '$origin'] });
  assert.equal(byId.length, 2);
  for (const row of byId) {
    assert.deepEqual(Object.keys(row).sort(), ['$origin', '$version', 'id']);
    assert.equal(typeof row.$version, 'number');
    assert.ok(Math.abs((row.$version as number) - Date.now()) < 60_000, `version ${row.$version} is a recent HLC time`);
    assert.equal(row.$origin, node.host);
  }
  // One insert request is one transaction: one version.
  assert.equal(byId[0]!.$version, byId[1]!.$version);
  const byValue = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_value', database: 'meta', table: 'dog', attribute: 'name', value: 'Penny', get_attributes: ['*', '$version'] });
  assert.equal(byValue.length, 1);
  assert.equal(byValue[0]!.name, 'Penny');
  assert.equal(byValue[0]!.$version, byId[0]!.$version);
  const byConditions = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_conditions', database: 'meta', table: 'dog', conditions: [{ attribute: 'id', comparator: 'equals', value: 2 }], get_attributes: ['$origin'] });
  assert.deepEqual(byConditions, [{ $origin: node.host }]);
  // Without asking, records carry no metadata.
  const plain = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_id', database: 'meta', table: 'dog', ids: [1] });
  assert.ok(!('$version' in plain[0]!) && !('$origin' in plain[0]!));
});

test('an update gives a newer version', async () => {
  const read = async () => (await node.ok<Array<{ $version: number }>>({ operation: 'search_by_id', database: 'meta', table: 'dog', ids: [1], get_attributes: ['$version'] }))[0]!.$version;
  const before = await read();
  await node.ok({ operation: 'update', database: 'meta', table: 'dog', records: [{ id: 1, name: 'Penny II' }] });
  assert.ok((await read()) > before);
});

test('insert, update and upsert refuse attributes beginning with "$" (reserved, read-only)', async () => {
  for (const operation of ['insert', 'update', 'upsert']) {
    for (const attribute of ['$version', '$origin', '$anything']) {
      const response = await node.op({ operation, database: 'meta', table: 'dog', records: [{ id: 9, [attribute]: 1 }] });
      assertError(response, 400, `attribute name ${JSON.stringify(attribute)}`, 'reserved');
    }
  }
  const after = await node.ok<unknown[]>({ operation: 'search_by_id', database: 'meta', table: 'dog', ids: [9] });
  assert.deepEqual(after, []);
});

test('inherited names in get_attributes are not attributes', async () => {
  const rows = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_id', database: 'meta', table: 'dog', ids: [2], get_attributes: ['id', 'toString', 'constructor', '__proto__'] });
  assert.deepEqual(rows, [{ id: 2 }]);
});
