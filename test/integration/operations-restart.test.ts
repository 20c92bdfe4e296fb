/**
 * Durability across restarts of a real node: after a clean stop (exit 0) every database, table,
 * attribute, record, index, user and token is back; after kill -9 every acknowledged write is.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicAuth, NodeProcess } from '../support/node-process.ts';
import { addUser, assertError, contents, createTable, insert, pluck, sortedBy } from '../support/ops.ts';

let node: NodeProcess;
before(async () => (node = await NodeProcess.start()));
after(async () => node?.cleanup());

type Row = Record<string, unknown>;

const DOGS = [
  { id: 1, name: 'Penny', breed: 'Border Collie', age: 7, tags: ['good', 'old'] },
  { id: 2, name: 'Harper', breed: 'Mutt', age: 5, tags: ['good'] },
  { id: 3, name: 'Alby', breed: 'Mutt', age: 5 },
  { id: 'four', name: 'Billy', breed: 'Great Pyrenees', age: 4 },
];

test('after a clean stop (exit 0) and restart, schema, records, indexes, users and tokens are all there', async () => {
  await createTable(node, 'restart_db', 'dog');
  await createTable(node, 'restart_db', 'cat', 'name');
  await node.ok({ operation: 'create_attribute', database: 'restart_db', table: 'dog', attribute: 'nickname' });
  await insert(node, 'restart_db', 'dog', DOGS);
  await insert(node, 'restart_db', 'cat', [{ name: 'Tom', age: 3 }]);
  await node.ok({ operation: 'update', database: 'restart_db', table: 'dog', records: [{ id: 2, nickname: 'Harps' }] });
  await node.ok({ operation: 'delete', database: 'restart_db', table: 'dog', ids: [3] });
  await addUser(node, 'restart_reader', 'read_only', 'before-pw');
  await addUser(node, 'restart_writer', 'user', 'old-pw');
  await node.ok({ operation: 'alter_user', username: 'restart_writer', password: 'new-pw' });
  const tokens = await node.ok({ operation: 'create_authentication_tokens', username: 'restart_writer', password: 'new-pw' });
  const describedBefore = await node.ok({ operation: 'describe_table', database: 'restart_db', table: 'dog' });
  const recordsBefore = await node.ok({ operation: 'search_by_value', database: 'restart_db', table: 'dog', attribute: 'id', value: '*' });

  assert.equal(await node.stop(), 0, `clean stop exits 0; stderr:\n${node.stderr}`);
  await node.restart();

  const describedAfter = await node.ok({ operation: 'describe_table', database: 'restart_db', table: 'dog' });
  const { db_size: _before, ...stableBefore } = describedBefore;
  const { db_size: _after, ...stableAfter } = describedAfter;
  assert.deepEqual(stableAfter, stableBefore);
  assert.equal(describedAfter.record_count, 3);
  assert.ok(describedAfter.attributes.some((a: { attribute: string }) => a.attribute === 'nickname'));
  assert.deepEqual(Object.keys(await node.ok({ operation: 'describe_database', database: 'restart_db' })), ['cat', 'dog']);

  assert.deepEqual(await node.ok({ operation: 'search_by_value', database: 'restart_db', table: 'dog', attribute: 'id', value: '*' }), recordsBefore);
  assert.deepEqual(pluck(sortedBy(await node.ok({ operation: 'search_by_value', database: 'restart_db', table: 'dog', attribute: 'breed', value: 'Mutt' }))), [2]);
  assert.deepEqual(pluck(sortedBy(await node.ok({ operation: 'search_by_value', database: 'restart_db', table: 'dog', attribute: 'tags', value: 'good' }))), [1, 2]);
  assert.deepEqual(pluck(await node.ok({ operation: 'search_by_value', database: 'restart_db', table: 'dog', attribute: 'nickname', value: 'Harp*' })), [2]);
  const byAge = await node.ok({
    operation: 'search_by_conditions',
    database: 'restart_db',
    table: 'dog',
    conditions: [{ attribute: 'age', comparator: 'between', value: [4, 6] }],
    sort: { attribute: 'age' },
  });
  assert.deepEqual(pluck(byAge), ['four', 2]);
  assert.deepEqual(contents(await node.ok({ operation: 'search_by_id', database: 'restart_db', table: 'cat', ids: ['Tom'] })), [{ name: 'Tom', age: 3 }]);
  assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'restart_db', table: 'dog', ids: [3] }), [], 'a deleted record stays deleted');

  const again = await node.ok({ operation: 'insert', database: 'restart_db', table: 'dog', records: [{ id: 1, name: 'Impostor' }, { id: 5, name: 'Gemma' }] });
  assert.deepEqual(again, { message: 'inserted 1 of 2 records', inserted_hashes: [5], skipped_hashes: [1] });

  assert.equal((await node.op({ operation: 'user_info' }, basicAuth('restart_reader', 'before-pw'))).body.username, 'restart_reader');
  assert.equal((await node.op({ operation: 'user_info' }, basicAuth('restart_writer', 'new-pw'))).status, 200);
  assertError(await node.op({ operation: 'user_info' }, basicAuth('restart_writer', 'old-pw')), 401, 'Login failed');
  assertError(await node.op({ operation: 'insert', database: 'restart_db', table: 'dog', records: [{ id: 9 }] }, basicAuth('restart_reader', 'before-pw')), 403, 'read-only');
  assert.equal((await node.op({ operation: 'user_info' }, `Bearer ${tokens.operation_token}`)).body.username, 'restart_writer', 'tokens survive a restart');
  const refreshed = await node.op({ operation: 'refresh_operation_token', refresh_token: tokens.refresh_token }, null);
  assert.equal(refreshed.status, 200);
});

test('every write acknowledged before kill -9 is there after a restart', async () => {
  await createTable(node, 'crash_db', 'event');
  await insert(node, 'crash_db', 'event', [{ id: 'doomed', kind: 'x' }, { id: 'changed', kind: 'before' }]);

  // Many small concurrent requests (batched into shared LMDB commits) plus a bulk insert,
  // an update and a delete; every one acknowledged before the kill.
  const singles = Array.from({ length: 150 }, (_, i) => ({ id: i, kind: i % 2 ? 'odd' : 'even', n: i }));
  const bulk = Array.from({ length: 500 }, (_, i) => ({ id: `bulk-${i}`, kind: 'bulk', n: i }));
  const responses = await Promise.all([
    ...singles.map((record) => node.op({ operation: 'insert', database: 'crash_db', table: 'event', records: [record] })),
    node.op({ operation: 'insert', database: 'crash_db', table: 'event', records: bulk }),
    node.op({ operation: 'update', database: 'crash_db', table: 'event', records: [{ id: 'changed', kind: 'after' }] }),
    node.op({ operation: 'delete', database: 'crash_db', table: 'event', ids: ['doomed'] }),
  ]);
  for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));

  await node.kill();
  await node.restart();

  const described = await node.ok({ operation: 'describe_table', database: 'crash_db', table: 'event' });
  assert.equal(described.record_count, singles.length + bulk.length + 1);
  const ids = [...singles.map((r) => r.id), ...bulk.map((r) => r.id)];
  const found: Row[] = await node.ok({ operation: 'search_by_id', database: 'crash_db', table: 'event', ids, get_attributes: ['id', 'kind', 'n'] });
  assert.deepEqual(found, [...singles, ...bulk]);
  assert.equal((await node.ok({ operation: 'search_by_value', database: 'crash_db', table: 'event', attribute: 'kind', value: 'odd' })).length, 75);
  assert.equal((await node.ok({ operation: 'search_by_value', database: 'crash_db', table: 'event', attribute: 'kind', value: 'bulk' })).length, 500);
  assert.deepEqual(pluck(await node.ok({ operation: 'search_by_value', database: 'crash_db', table: 'event', attribute: 'kind', value: 'after' })), ['changed']);
  assert.deepEqual(await node.ok({ operation: 'search_by_value', database: 'crash_db', table: 'event', attribute: 'kind', value: 'before' }), []);
  assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'crash_db', table: 'event', ids: ['doomed'] }), []);
  assert.equal(await node.stop(), 0);
});
