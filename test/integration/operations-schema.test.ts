/**
 * Schema operations against a real node: create/drop database, table and attribute, and the
 * describe_* views, with HarperDB's response shapes and the errors for bad requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { addUser, assertError, createTable, insert } from '../support/ops.ts';

let node: NodeProcess;
before(async () => (node = await NodeProcess.start()));
after(async () => node?.cleanup());

/** What describe_table returns for a table whose attributes are exactly `attributes` (primary key first). */
function expectedTable(database: string, table: string, attributes: string[], recordCount: number, primaryKey = 'id') {
  return {
    schema: database,
    database,
    name: table,
    hash_attribute: primaryKey,
    primary_key: primaryKey,
    audit: true,
    replicate: true,
    schema_defined: false,
    attributes: attributes.map((attribute) => ({ attribute, indexed: true, ...(attribute === primaryKey ? { is_primary_key: true } : {}) })),
    record_count: recordCount,
  };
}

/** describe_table's body with the values that vary (sizes, times) checked and removed. */
function stable(described: Record<string, unknown>): Record<string, unknown> {
  const { created_time, db_size, ...rest } = described;
  assert.equal(typeof created_time, 'number');
  assert.ok((created_time as number) > Date.now() - 600_000 && (created_time as number) <= Date.now() + 1000);
  assert.equal(typeof db_size, 'number');
  assert.ok((db_size as number) > 0);
  return rest;
}

describe('create_database / create_schema', () => {
  test('creates an empty database that describe_database shows', async () => {
    assert.deepEqual(await node.ok({ operation: 'create_database', database: 'cd_db' }), { message: "database 'cd_db' successfully created" });
    assert.deepEqual(await node.ok({ operation: 'describe_database', database: 'cd_db' }), {});
  });

  test('create_schema with the schema field is an alias', async () => {
    assert.deepEqual(await node.ok({ operation: 'create_schema', schema: 'cd_schema' }), { message: "database 'cd_schema' successfully created" });
    assert.deepEqual(await node.ok({ operation: 'describe_schema', schema: 'cd_schema' }), {});
  });

  test('an existing database is a 400', async () => {
    await node.ok({ operation: 'create_database', database: 'cd_twice' });
    assertError(await node.op({ operation: 'create_database', database: 'cd_twice' }), 400, "database 'cd_twice' already exists");
  });

  test('a wrong-typed or invalid name is a 400 naming the field', async () => {
    assertError(await node.op({ operation: 'create_database', database: 5 }), 400, "'database'", 'string');
    assertError(await node.op({ operation: 'create_database', database: '../etc' }), 400, "'database'", 'invalid database name');
  });
});

describe('drop_database', () => {
  test('drops a database with its tables', async () => {
    await createTable(node, 'dd_db', 'dog');
    await insert(node, 'dd_db', 'dog', [{ id: 1 }]);
    assert.deepEqual(await node.ok({ operation: 'drop_database', database: 'dd_db' }), { message: "successfully deleted 'dd_db'" });
    assertError(await node.op({ operation: 'describe_database', database: 'dd_db' }), 404, "database 'dd_db' does not exist");
    assertError(await node.op({ operation: 'search_by_id', database: 'dd_db', table: 'dog', ids: [1] }), 404, 'dd_db');
  });

  test('a dropped database can be created again, empty', async () => {
    await createTable(node, 'dd_again', 'dog');
    await insert(node, 'dd_again', 'dog', [{ id: 1 }]);
    await node.ok({ operation: 'drop_database', database: 'dd_again' });
    await createTable(node, 'dd_again', 'dog');
    assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'dd_again', table: 'dog', ids: [1] }), []);
  });

  test('drop_schema with the schema field is an alias', async () => {
    await node.ok({ operation: 'create_database', database: 'dd_schema' });
    assert.deepEqual(await node.ok({ operation: 'drop_schema', schema: 'dd_schema' }), { message: "successfully deleted 'dd_schema'" });
  });

  test('an unknown database is a 404, a missing name a 400, the system database a 400', async () => {
    assertError(await node.op({ operation: 'drop_database', database: 'dd_nope' }), 404, "database 'dd_nope' does not exist");
    assertError(await node.op({ operation: 'drop_database' }), 400, "'database' is required");
    assertError(await node.op({ operation: 'drop_database', database: ['x'] }), 400, "'database' must be a string");
    assertError(await node.op({ operation: 'drop_database', database: 'system' }), 400, 'system');
    assert.ok((await node.ok({ operation: 'describe_database', database: 'system' })).hdb_user);
  });
});

describe('create_table', () => {
  test('creates a table (and its database) that describe_table shows', async () => {
    assert.deepEqual(await node.ok({ operation: 'create_table', database: 'ct_db', table: 'dog', primary_key: 'id' }), {
      message: "table 'ct_db.dog' successfully created.",
    });
    const described = await node.ok({ operation: 'describe_table', database: 'ct_db', table: 'dog' });
    assert.deepEqual(stable(described), expectedTable('ct_db', 'dog', ['id', '__createdtime__', '__updatedtime__'], 0));
  });

  test('schema and hash_attribute are aliases of database and primary_key', async () => {
    assert.deepEqual(await node.ok({ operation: 'create_table', schema: 'ct_alias', table: 'cat', hash_attribute: 'cat_id' }), {
      message: "table 'ct_alias.cat' successfully created.",
    });
    const described = await node.ok({ operation: 'describe_table', schema: 'ct_alias', table: 'cat' });
    assert.deepEqual(stable(described), expectedTable('ct_alias', 'cat', ['cat_id', '__createdtime__', '__updatedtime__'], 0, 'cat_id'));
  });

  test('declared attributes are listed before any record has them; the primary key defaults to id', async () => {
    await node.ok({ operation: 'create_table', database: 'ct_attrs', table: 'dog', attributes: [{ name: 'name', type: 'String' }, { name: 'age', indexed: true }] });
    const described = await node.ok({ operation: 'describe_table', database: 'ct_attrs', table: 'dog' });
    assert.deepEqual(stable(described), expectedTable('ct_attrs', 'dog', ['id', 'name', 'age', '__createdtime__', '__updatedtime__'], 0));
  });

  test('replicate: false is kept', async () => {
    await node.ok({ operation: 'create_table', database: 'ct_local', table: 'tmp', replicate: false });
    assert.equal((await node.ok({ operation: 'describe_table', database: 'ct_local', table: 'tmp' })).replicate, false);
  });

  test('an existing table is a 400', async () => {
    await createTable(node, 'ct_twice', 'dog');
    assertError(await node.op({ operation: 'create_table', database: 'ct_twice', table: 'dog' }), 400, "Table 'dog' already exists in 'ct_twice'");
  });

  test('missing and wrong-typed fields are 400s naming the field', async () => {
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad' }), 400, "'table' is required");
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad', table: 7 }), 400, "'table' must be a string");
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad', table: 'a/b' }), 400, "'table'", 'invalid table name');
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad', table: 't', primary_key: 1 }), 400, "'primary_key' must be a string");
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad', table: 't', attributes: 'name' }), 400, "'attributes' must be an array");
    assertError(await node.op({ operation: 'create_table', database: 'ct_bad', table: 't', replicate: 'yes' }), 400, "'replicate' must be a boolean");
  });
});

describe('drop_table', () => {
  test('drops a table; describe_table then answers 404', async () => {
    await createTable(node, 'dt_db', 'dog');
    await createTable(node, 'dt_db', 'cat');
    assert.deepEqual(await node.ok({ operation: 'drop_table', database: 'dt_db', table: 'dog' }), { message: "successfully deleted table 'dt_db.dog'" });
    assertError(await node.op({ operation: 'describe_table', database: 'dt_db', table: 'dog' }), 404, "Table 'dt_db.dog' does not exist");
    assert.deepEqual(Object.keys(await node.ok({ operation: 'describe_database', database: 'dt_db' })), ['cat']);
  });

  test('a table created again after a drop is empty and works', async () => {
    await createTable(node, 'dt_again', 'dog');
    await insert(node, 'dt_again', 'dog', [{ id: 1, name: 'Penny' }]);
    await node.ok({ operation: 'drop_table', database: 'dt_again', table: 'dog' });
    await createTable(node, 'dt_again', 'dog');
    assert.deepEqual(await node.ok({ operation: 'search_by_value', database: 'dt_again', table: 'dog', attribute: 'name', value: 'Penny' }), []);
    await insert(node, 'dt_again', 'dog', [{ id: 1, name: 'Harper' }]);
    assert.equal((await node.ok({ operation: 'describe_table', database: 'dt_again', table: 'dog' })).record_count, 1);
    const found = await node.ok({ operation: 'search_by_value', database: 'dt_again', table: 'dog', attribute: 'name', value: '*' });
    assert.deepEqual(found.map((r: { name: string }) => r.name), ['Harper']);
  });

  test('unknown table or database is a 404; system tables cannot be dropped; missing table is a 400', async () => {
    await node.ok({ operation: 'create_database', database: 'dt_errors' });
    assertError(await node.op({ operation: 'drop_table', database: 'dt_errors', table: 'nope' }), 404, "Table 'dt_errors.nope' does not exist");
    assertError(await node.op({ operation: 'drop_table', database: 'dt_nodb', table: 'dog' }), 404, "database 'dt_nodb' does not exist");
    assertError(await node.op({ operation: 'drop_table', database: 'system', table: 'hdb_user' }), 400, 'system');
    assertError(await node.op({ operation: 'drop_table', database: 'dt_errors' }), 400, "'table' is required");
  });
});

describe('create_attribute', () => {
  test('adds an attribute that describe_table lists', async () => {
    await createTable(node, 'ca_db', 'dog');
    assert.deepEqual(await node.ok({ operation: 'create_attribute', database: 'ca_db', table: 'dog', attribute: 'is_adorable' }), {
      message: "attribute 'ca_db.dog.is_adorable' successfully created.",
    });
    const described = await node.ok({ operation: 'describe_table', schema: 'ca_db', table: 'dog' });
    assert.deepEqual(stable(described), expectedTable('ca_db', 'dog', ['id', 'is_adorable', '__createdtime__', '__updatedtime__'], 0));
  });

  test('an existing attribute is a 400; unknown table/database 404; missing attribute 400', async () => {
    await createTable(node, 'ca_errors', 'dog');
    await insert(node, 'ca_errors', 'dog', [{ id: 1, name: 'Penny' }]);
    assertError(await node.op({ operation: 'create_attribute', database: 'ca_errors', table: 'dog', attribute: 'name' }), 400, "Attribute 'name' already exists");
    assertError(await node.op({ operation: 'create_attribute', database: 'ca_errors', table: 'nope', attribute: 'x' }), 404, "Table 'ca_errors.nope' does not exist");
    assertError(await node.op({ operation: 'create_attribute', database: 'ca_nodb', table: 'dog', attribute: 'x' }), 404, "database 'ca_nodb' does not exist");
    assertError(await node.op({ operation: 'create_attribute', database: 'ca_errors', table: 'dog' }), 400, "'attribute' is required");
    assertError(await node.op({ operation: 'create_attribute', database: 'ca_errors', table: 'dog', attribute: false }), 400, "'attribute' must be a string");
  });
});

describe('describe_all / describe_database / describe_table', () => {
  test('describe_all lists every user database and its tables, never the system database', async () => {
    await createTable(node, 'da_one', 'dog');
    await createTable(node, 'da_one', 'cat', 'name');
    await insert(node, 'da_one', 'dog', [{ id: 1, name: 'Penny' }]);
    const all = await node.ok({ operation: 'describe_all' });
    assert.equal(all.system, undefined);
    assert.deepEqual(Object.keys(all.da_one), ['cat', 'dog']);
    assert.deepEqual(stable(all.da_one.dog), expectedTable('da_one', 'dog', ['id', 'name', '__createdtime__', '__updatedtime__'], 1));
    assert.deepEqual(stable(all.da_one.cat), expectedTable('da_one', 'cat', ['name', '__createdtime__', '__updatedtime__'], 0, 'name'));
  });

  test('describe_database returns its tables keyed by name; unknown is a 404', async () => {
    await createTable(node, 'ddb_db', 'b_table');
    await createTable(node, 'ddb_db', 'a_table');
    const described = await node.ok({ operation: 'describe_database', database: 'ddb_db' });
    assert.deepEqual(Object.keys(described), ['a_table', 'b_table']);
    assert.deepEqual(stable(described.a_table), expectedTable('ddb_db', 'a_table', ['id', '__createdtime__', '__updatedtime__'], 0));
    assertError(await node.op({ operation: 'describe_database', database: 'ddb_nope' }), 404, "database 'ddb_nope' does not exist");
    assertError(await node.op({ operation: 'describe_database', database: 12 }), 400, "'database' must be a string");
  });

  test("describe_table's record_count and attributes grow as records with new attributes arrive", async () => {
    await createTable(node, 'dtg_db', 'dog');
    const describe = async () => stable(await node.ok({ operation: 'describe_table', database: 'dtg_db', table: 'dog' }));
    assert.deepEqual(await describe(), expectedTable('dtg_db', 'dog', ['id', '__createdtime__', '__updatedtime__'], 0));

    await insert(node, 'dtg_db', 'dog', [{ id: 1, name: 'Penny' }, { id: 2, name: 'Harper', age: 5 }]);
    assert.deepEqual(await describe(), expectedTable('dtg_db', 'dog', ['id', 'name', '__createdtime__', '__updatedtime__', 'age'], 2));

    await node.ok({ operation: 'update', database: 'dtg_db', table: 'dog', records: [{ id: 1, owner: 'Kyle' }] });
    await node.ok({ operation: 'upsert', database: 'dtg_db', table: 'dog', records: [{ id: 3, breed: 'Mutt' }] });
    assert.deepEqual(await describe(), expectedTable('dtg_db', 'dog', ['id', 'name', '__createdtime__', '__updatedtime__', 'age', 'owner', 'breed'], 3));

    await node.ok({ operation: 'delete', database: 'dtg_db', table: 'dog', ids: [2] });
    assert.equal((await describe()).record_count, 2);
  });

  test('describe_table: unknown table or database is a 404; missing table a 400', async () => {
    await node.ok({ operation: 'create_database', database: 'dte_db' });
    assertError(await node.op({ operation: 'describe_table', database: 'dte_db', table: 'nope' }), 404, "Table 'dte_db.nope' does not exist");
    assertError(await node.op({ operation: 'describe_table', database: 'dte_nope', table: 'dog' }), 404, "database 'dte_nope' does not exist");
    assertError(await node.op({ operation: 'describe_table', database: 'dte_db' }), 400, "'table' is required");
  });
});

describe('schema operations need super_user', () => {
  test('a user with role "user" may describe but not create or drop', async () => {
    const user = await addUser(node, 'schema_user', 'user');
    await createTable(node, 'perm_db', 'dog');
    assert.ok((await node.op({ operation: 'describe_all' }, user)).status === 200);
    assert.equal((await node.op({ operation: 'describe_table', database: 'perm_db', table: 'dog' }, user)).status, 200);
    for (const body of [
      { operation: 'create_database', database: 'perm_other' },
      { operation: 'drop_database', database: 'perm_db' },
      { operation: 'create_table', database: 'perm_db', table: 'cat' },
      { operation: 'drop_table', database: 'perm_db', table: 'dog' },
      { operation: 'create_attribute', database: 'perm_db', table: 'dog', attribute: 'x' },
    ]) {
      assertError(await node.op(body, user), 403, `Operation '${body.operation}' requires the super_user role`);
    }
    assert.ok((await node.ok({ operation: 'describe_database', database: 'perm_db' })).dog, 'nothing was dropped');
  });
});
