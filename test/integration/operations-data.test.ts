/**
 * Data operations against a real node: insert, update, upsert and delete, with HarperDB's
 * response shapes (messages, *_hashes), record contents and timestamps, and the errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { addUser, assertError, assertTimestamps, contents, createTable, insert, sleep } from '../support/ops.ts';

let node: NodeProcess;
before(async () => (node = await NodeProcess.start()));
after(async () => node?.cleanup());

const DB = 'data_ops';

async function byId(table: string, ids: unknown[]): Promise<Array<Record<string, unknown>>> {
  return node.ok({ operation: 'search_by_id', database: DB, table, ids });
}

describe('insert', () => {
  test('inserts records and reports inserted_hashes; records carry __createdtime__ and __updatedtime__', async () => {
    await createTable(node, DB, 'ins_dog');
    const before = Date.now();
    const response = await node.ok({
      operation: 'insert',
      database: DB,
      table: 'ins_dog',
      records: [
        { id: 1, name: 'Penny', age: 7, tags: ['good', 'old'], owner: { name: 'Kyle' } },
        { id: 'b', name: 'Harper', nickname: null },
      ],
    });
    assert.deepEqual(response, { message: 'inserted 2 of 2 records', inserted_hashes: [1, 'b'], skipped_hashes: [] });
    const records = await byId('ins_dog', [1, 'b']);
    assert.deepEqual(contents(records, before), [
      { id: 1, name: 'Penny', age: 7, tags: ['good', 'old'], owner: { name: 'Kyle' } },
      { id: 'b', name: 'Harper', nickname: null },
    ]);
    for (const record of records) assert.equal(record.__createdtime__, record.__updatedtime__);
  });

  test('the schema field is an alias of database', async () => {
    await createTable(node, DB, 'ins_alias');
    assert.deepEqual(await node.ok({ operation: 'insert', schema: DB, table: 'ins_alias', records: [{ id: 1 }] }), {
      message: 'inserted 1 of 1 records',
      inserted_hashes: [1],
      skipped_hashes: [],
    });
  });

  test('an existing key is skipped, not overwritten, and reported in skipped_hashes', async () => {
    await createTable(node, DB, 'ins_dup');
    await insert(node, DB, 'ins_dup', [{ id: 1, name: 'Penny' }]);
    const response = await node.ok({ operation: 'insert', database: DB, table: 'ins_dup', records: [{ id: 1, name: 'Impostor' }, { id: 2, name: 'Harper' }] });
    assert.deepEqual(response, { message: 'inserted 1 of 2 records', inserted_hashes: [2], skipped_hashes: [1] });
    assert.deepEqual(contents(await byId('ins_dup', [1, 2])), [{ id: 1, name: 'Penny' }, { id: 2, name: 'Harper' }]);
  });

  test('a key repeated within one request is inserted once and then skipped', async () => {
    await createTable(node, DB, 'ins_dup_same');
    const response = await node.ok({ operation: 'insert', database: DB, table: 'ins_dup_same', records: [{ id: 7, n: 1 }, { id: 7, n: 2 }] });
    assert.deepEqual(response, { message: 'inserted 1 of 2 records', inserted_hashes: [7], skipped_hashes: [7] });
    assert.deepEqual(contents(await byId('ins_dup_same', [7])), [{ id: 7, n: 1 }]);
  });

  test('concurrent inserts of one key: exactly one succeeds, the rest are skipped', async () => {
    await createTable(node, DB, 'ins_race');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => node.ok({ operation: 'insert', database: DB, table: 'ins_race', records: [{ id: 'same', writer: i }] })),
    );
    const winners = responses.filter((r) => r.inserted_hashes.length === 1);
    assert.equal(winners.length, 1, JSON.stringify(responses));
    for (const response of responses.filter((r) => r !== winners[0])) {
      assert.deepEqual(response, { message: 'inserted 0 of 1 records', inserted_hashes: [], skipped_hashes: ['same'] });
    }
    assert.equal((await node.ok({ operation: 'describe_table', database: DB, table: 'ins_race' })).record_count, 1);
  });

  test('a record without a primary key gets a generated UUID', async () => {
    await createTable(node, DB, 'ins_uuid');
    const response = await node.ok({ operation: 'insert', database: DB, table: 'ins_uuid', records: [{ name: 'Nameless' }] });
    assert.equal(response.message, 'inserted 1 of 1 records');
    assert.deepEqual(response.skipped_hashes, []);
    const [key] = response.inserted_hashes;
    assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(contents(await byId('ins_uuid', [key])), [{ id: key, name: 'Nameless' }]);
  });

  test('timestamps sent by the client are replaced by the node', async () => {
    await createTable(node, DB, 'ins_times');
    const before = Date.now();
    await insert(node, DB, 'ins_times', [{ id: 1, __createdtime__: 5, __updatedtime__: 6 }]);
    assertTimestamps((await byId('ins_times', [1]))[0]!, before);
  });

  test('missing and wrong-typed fields are 400s naming the field', async () => {
    await createTable(node, DB, 'ins_bad');
    const base = { operation: 'insert', database: DB, table: 'ins_bad' };
    assertError(await node.op({ ...base, table: undefined, records: [] }), 400, "'table' is required");
    assertError(await node.op({ ...base }), 400, "'records' is required");
    assertError(await node.op({ ...base, records: { id: 1 } }), 400, "'records' must be an array");
    assertError(await node.op({ ...base, records: [{ id: 1 }, 'two'] }), 400, "'records[1]' must be an object");
    assertError(await node.op({ ...base, database: 3, records: [] }), 400, "'database' must be a string");
    assertError(await node.op({ ...base, records: [{ id: { nested: true } }] }), 400, 'records[0].id', 'string or a number');
    assertError(await node.op({ ...base, records: [{ id: '' }] }), 400, 'records[0].id', 'empty');
    assert.deepEqual(await node.ok({ operation: 'search_by_value', database: DB, table: 'ins_bad', attribute: 'id', value: '*' }), [], 'nothing was written');
  });

  test('a record with a bad key fails the whole request: nothing is written', async () => {
    await createTable(node, DB, 'ins_atomic');
    assertError(await node.op({ operation: 'insert', database: DB, table: 'ins_atomic', records: [{ id: 1 }, { id: true }] }), 400, 'records[1].id');
    assert.deepEqual(await byId('ins_atomic', [1]), []);
  });

  test('an unknown database or table is a 400, as HarperDB answers it', async () => {
    await createTable(node, DB, 'ins_exists');
    assertError(await node.op({ operation: 'insert', database: 'no_such_db', table: 'dog', records: [{ id: 1 }] }), 400, "database 'no_such_db' does not exist");
    assertError(await node.op({ operation: 'insert', database: DB, table: 'no_such_table', records: [{ id: 1 }] }), 400, `Table '${DB}.no_such_table' does not exist`);
  });
});

describe('update', () => {
  test('merges fields into existing records, keeps __createdtime__ and moves __updatedtime__', async () => {
    await createTable(node, DB, 'upd_dog');
    await insert(node, DB, 'upd_dog', [{ id: 1, name: 'Penny', age: 7 }, { id: 2, name: 'Harper', age: 5 }]);
    const [original] = await byId('upd_dog', [1]);
    await sleep(5);
    const response = await node.ok({ operation: 'update', database: DB, table: 'upd_dog', records: [{ id: 1, age: 8, owner: 'Kyle' }, { id: 2, name: 'Harper II' }] });
    assert.deepEqual(response, { message: 'updated 2 of 2 records', update_hashes: [1, 2], skipped_hashes: [] });
    const records = await byId('upd_dog', [1, 2]);
    assert.deepEqual(contents(records), [{ id: 1, name: 'Penny', age: 8, owner: 'Kyle' }, { id: 2, name: 'Harper II', age: 5 }]);
    assert.equal(records[0]!.__createdtime__, original!.__createdtime__);
    assert.ok((records[0]!.__updatedtime__ as number) > (original!.__updatedtime__ as number));
  });

  test('a missing key is skipped and not created', async () => {
    await createTable(node, DB, 'upd_missing');
    await insert(node, DB, 'upd_missing', [{ id: 1, name: 'Penny' }]);
    const response = await node.ok({ operation: 'update', database: DB, table: 'upd_missing', records: [{ id: 1, age: 1 }, { id: 99, name: 'Ghost' }] });
    assert.deepEqual(response, { message: 'updated 1 of 2 records', update_hashes: [1], skipped_hashes: [99] });
    assert.deepEqual(await byId('upd_missing', [99]), []);
  });

  test('a record without the primary key is a 400 naming it; wrong-typed records a 400', async () => {
    await createTable(node, DB, 'upd_bad');
    assertError(await node.op({ operation: 'update', database: DB, table: 'upd_bad', records: [{ name: 'x' }] }), 400, "records[0] has no 'id'");
    assertError(await node.op({ operation: 'update', database: DB, table: 'upd_bad', records: 'x' }), 400, "'records' must be an array");
    assertError(await node.op({ operation: 'update', database: DB, table: 'upd_nope', records: [{ id: 1 }] }), 400, `Table '${DB}.upd_nope' does not exist`);
  });
});

describe('upsert', () => {
  test('inserts new keys and merges into existing ones', async () => {
    await createTable(node, DB, 'ups_dog');
    await insert(node, DB, 'ups_dog', [{ id: 1, name: 'Penny', age: 7 }]);
    const [original] = await byId('ups_dog', [1]);
    await sleep(5);
    const before = Date.now();
    const response = await node.ok({ operation: 'upsert', database: DB, table: 'ups_dog', records: [{ id: 1, age: 8 }, { id: 2, name: 'Harper' }] });
    assert.deepEqual(response, { message: 'upserted 2 of 2 records', upserted_hashes: [1, 2], skipped_hashes: [] });
    const records = await byId('ups_dog', [1, 2]);
    assert.deepEqual(contents(records), [{ id: 1, name: 'Penny', age: 8 }, { id: 2, name: 'Harper' }]);
    assert.equal(records[0]!.__createdtime__, original!.__createdtime__);
    assert.ok((records[0]!.__updatedtime__ as number) >= before);
    assertTimestamps(records[1]!, before);
  });

  test('a record without a key gets a generated one; bad input is a 400', async () => {
    await createTable(node, DB, 'ups_uuid');
    const response = await node.ok({ operation: 'upsert', database: DB, table: 'ups_uuid', records: [{ name: 'x' }] });
    assert.equal(response.upserted_hashes.length, 1);
    assert.equal(typeof response.upserted_hashes[0], 'string');
    assertError(await node.op({ operation: 'upsert', database: DB, table: 'ups_uuid' }), 400, "'records' is required");
    assertError(await node.op({ operation: 'upsert', database: DB, table: 'ups_uuid', records: [null] }), 400, "'records[0]' must be an object");
  });
});

describe('delete', () => {
  test('deletes by ids and reports deleted_hashes and skipped_hashes', async () => {
    await createTable(node, DB, 'del_dog');
    await insert(node, DB, 'del_dog', [{ id: 1 }, { id: 2 }, { id: 3 }]);
    const response = await node.ok({ operation: 'delete', database: DB, table: 'del_dog', ids: [1, 2, 42] });
    assert.deepEqual(response, { message: '2 of 3 records successfully deleted', deleted_hashes: [1, 2], skipped_hashes: [42] });
    assert.deepEqual(contents(await byId('del_dog', [1, 2, 3])), [{ id: 3 }]);
  });

  test('hash_values and schema are aliases of ids and database; the message is singular for one id', async () => {
    await createTable(node, DB, 'del_alias');
    await insert(node, DB, 'del_alias', [{ id: 'a' }]);
    assert.deepEqual(await node.ok({ operation: 'delete', schema: DB, table: 'del_alias', hash_values: ['a'] }), {
      message: '1 of 1 record successfully deleted',
      deleted_hashes: ['a'],
      skipped_hashes: [],
    });
  });

  test('a deleted key can be inserted again', async () => {
    await createTable(node, DB, 'del_reinsert');
    await insert(node, DB, 'del_reinsert', [{ id: 1, v: 'old' }]);
    await node.ok({ operation: 'delete', database: DB, table: 'del_reinsert', ids: [1] });
    await insert(node, DB, 'del_reinsert', [{ id: 1, v: 'new' }]);
    assert.deepEqual(contents(await byId('del_reinsert', [1])), [{ id: 1, v: 'new' }]);
    assert.deepEqual(await node.ok({ operation: 'search_by_value', database: DB, table: 'del_reinsert', attribute: 'v', value: 'old' }), []);
  });

  test('missing or wrong-typed ids are 400s; unknown table is a 404', async () => {
    await createTable(node, DB, 'del_bad');
    assertError(await node.op({ operation: 'delete', database: DB, table: 'del_bad' }), 400, "'ids' is required");
    assertError(await node.op({ operation: 'delete', database: DB, table: 'del_bad', ids: 1 }), 400, "'ids' must be an array");
    assertError(await node.op({ operation: 'delete', database: DB, table: 'del_bad', ids: [{}] }), 400, "'ids[0]'");
    assertError(await node.op({ operation: 'delete', database: DB, table: 'del_nope', ids: [1] }), 404, `Table '${DB}.del_nope' does not exist`);
    assertError(await node.op({ operation: 'delete', database: 'del_nodb', table: 'x', ids: [1] }), 404, "database 'del_nodb' does not exist");
  });
});

describe('the system database and read-only users', () => {
  test('insert, update, upsert and delete on the system database are refused with 403', async () => {
    for (const operation of ['insert', 'update', 'upsert']) {
      const response = await node.op({ operation, database: 'system', table: 'hdb_user', records: [{ username: 'sneaky', password: 'x', role: 'super_user' }] });
      assertError(response, 403, 'system database');
    }
    assertError(await node.op({ operation: 'delete', database: 'system', table: 'hdb_user', ids: ['admin'] }), 403, 'system database');
    const users = await node.ok({ operation: 'list_users' });
    assert.deepEqual(users.map((u: { username: string }) => u.username).filter((u: string) => u === 'sneaky'), []);
    assert.ok(users.some((u: { username: string }) => u.username === 'admin'));
  });

  test('a user with role "user" may write data; a read_only user gets 403 for every write but may read', async () => {
    await createTable(node, DB, 'role_dog');
    const user = await addUser(node, 'data_user', 'user');
    const readOnly = await addUser(node, 'data_reader', 'read_only');
    const insertBody = { operation: 'insert', database: DB, table: 'role_dog', records: [{ id: 1, name: 'Penny' }] };
    assert.deepEqual((await node.op(insertBody, user)).body, { message: 'inserted 1 of 1 records', inserted_hashes: [1], skipped_hashes: [] });

    assertError(await node.op({ ...insertBody, records: [{ id: 2 }] }, readOnly), 403, "Operation 'insert' changes data; user 'data_reader' is read-only");
    assertError(await node.op({ ...insertBody, operation: 'update' }, readOnly), 403, 'read-only');
    assertError(await node.op({ ...insertBody, operation: 'upsert' }, readOnly), 403, 'read-only');
    assertError(await node.op({ operation: 'delete', database: DB, table: 'role_dog', ids: [1] }, readOnly), 403, 'read-only');

    const read = await node.op({ operation: 'search_by_id', database: DB, table: 'role_dog', ids: [1, 2] }, readOnly);
    assert.equal(read.status, 200);
    assert.deepEqual(contents(read.body), [{ id: 1, name: 'Penny' }]);
  });
});
