/**
 * User operations and authentication against a real node: add/alter/drop/list users,
 * user_info, operation and refresh tokens, roles (super_user, user, read_only), and what a
 * changed or dropped user can still do (nothing it should not).
 *
 * The node rate-limits failed logins per client address (20 a minute, then 429): this file
 * makes about 14 on purpose; keep new failing-login checks within that budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, basicAuth, NodeProcess } from '../support/node-process.ts';
import { addUser, assertError, createTable } from '../support/ops.ts';

let node: NodeProcess;
before(async () => (node = await NodeProcess.start()));
after(async () => node?.cleanup());

const bearer = (token: string) => `Bearer ${token}`;

/** HarperDB's role object for a user record. */
function roleOf(role: string) {
  return { id: role, role, permission: { super_user: role === 'super_user', cluster_user: role === 'cluster_user' || role === 'super_user' } };
}

async function listedUser(username: string): Promise<Record<string, unknown> | undefined> {
  const users: Array<Record<string, unknown>> = await node.ok({ operation: 'list_users' });
  return users.find((user) => user.username === username);
}

async function tokensFor(username: string, password: string): Promise<{ operation_token: string; refresh_token: string }> {
  const response = await node.op({ operation: 'create_authentication_tokens', username, password }, null);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

describe('add_user / list_users / user_info', () => {
  test('add_user creates a user that can log in; list_users shows it without a password', async () => {
    assert.deepEqual(await node.ok({ operation: 'add_user', username: 'u_alice', password: 'alice-pw', role: 'user', active: true }), {
      message: 'u_alice successfully added',
    });
    const alice = await listedUser('u_alice');
    assert.ok(alice, 'listed');
    const { __createdtime__, __updatedtime__, ...rest } = alice;
    assert.equal(typeof __createdtime__, 'number');
    assert.equal(typeof __updatedtime__, 'number');
    assert.deepEqual(rest, { username: 'u_alice', role: roleOf('user'), active: true });
    const info = await node.op({ operation: 'user_info' }, basicAuth('u_alice', 'alice-pw'));
    assert.deepEqual(info, { status: 200, body: { username: 'u_alice', active: true, role: roleOf('user') } });
  });

  test('list_users never shows a password or its hash', async () => {
    await addUser(node, 'u_listed', 'read_only');
    const users: Array<Record<string, unknown>> = await node.ok({ operation: 'list_users' });
    assert.ok(users.length >= 2);
    for (const user of users) {
      assert.equal('password' in user, false, JSON.stringify(user));
      assert.ok(!JSON.stringify(user).includes('scrypt'), JSON.stringify(user));
      assert.ok(!JSON.stringify(user).includes('u_listed-password'));
    }
    assert.deepEqual((await listedUser('admin'))?.role, roleOf('super_user'));
  });

  test('user_info describes the caller', async () => {
    assert.deepEqual(await node.ok({ operation: 'user_info' }), { username: ADMIN.username, active: true, role: roleOf('super_user') });
  });

  test('active defaults to true; an inactive user cannot log in', async () => {
    await node.ok({ operation: 'add_user', username: 'u_default_active', password: 'pw', role: 'user' });
    assert.equal((await listedUser('u_default_active'))?.active, true);
    await node.ok({ operation: 'add_user', username: 'u_inactive', password: 'pw', role: 'user', active: false });
    assertError(await node.op({ operation: 'user_info' }, basicAuth('u_inactive', 'pw')), 401, 'Login failed');
  });

  test('missing and wrong-typed fields are 400s naming the field; an existing user is a 400', async () => {
    assertError(await node.op({ operation: 'add_user', password: 'pw', role: 'user' }), 400, "'username' is required");
    assertError(await node.op({ operation: 'add_user', username: 'u_bad', role: 'user' }), 400, "'password' is required");
    assertError(await node.op({ operation: 'add_user', username: 'u_bad', password: 'pw' }), 400, "'role'");
    assertError(await node.op({ operation: 'add_user', username: 'u_bad', password: 'pw', role: 'emperor' }), 400, "'role'");
    assertError(await node.op({ operation: 'add_user', username: 'u_bad', password: 12345, role: 'user' }), 400, "'password' must be a string");
    assertError(await node.op({ operation: 'add_user', username: 'u_bad', password: 'pw', role: 'user', active: 'yes' }), 400, "'active' must be a boolean");
    assertError(await node.op({ operation: 'add_user', username: 'u:bad', password: 'pw', role: 'user' }), 400, "'username'");
    await addUser(node, 'u_twice', 'user');
    assertError(await node.op({ operation: 'add_user', username: 'u_twice', password: 'other', role: 'super_user' }), 400, "User 'u_twice' already exists");
    assert.deepEqual((await listedUser('u_twice'))?.role, roleOf('user'), 'the existing user is unchanged');
    assert.equal(await listedUser('u_bad'), undefined);
  });
});

describe('roles', () => {
  test('a user with role "user" gets 403 for every super_user operation', async () => {
    const user = await addUser(node, 'u_plain', 'user');
    const superUserOnly = [
      { operation: 'add_user', username: 'x', password: 'x', role: 'user' },
      { operation: 'alter_user', username: 'u_plain', role: 'super_user' },
      { operation: 'drop_user', username: 'admin' },
      { operation: 'list_users' },
      { operation: 'create_database', database: 'x' },
      { operation: 'get_configuration' },
      { operation: 'read_log' },
    ];
    for (const body of superUserOnly) {
      assertError(await node.op(body, user), 403, `Operation '${body.operation}' requires the super_user role`);
    }
    assert.deepEqual((await listedUser('u_plain'))?.role, roleOf('user'), 'no self-promotion');
  });

  test('a read_only user may read but not insert', async () => {
    await createTable(node, 'users_db', 'dog');
    await node.ok({ operation: 'insert', database: 'users_db', table: 'dog', records: [{ id: 1, name: 'Penny' }] });
    const reader = await addUser(node, 'u_reader', 'read_only');
    const read = await node.op({ operation: 'search_by_value', database: 'users_db', table: 'dog', attribute: 'name', value: 'Penny', get_attributes: ['id'] }, reader);
    assert.deepEqual(read, { status: 200, body: [{ id: 1 }] });
    assertError(await node.op({ operation: 'insert', database: 'users_db', table: 'dog', records: [{ id: 2 }] }, reader), 403, "user 'u_reader' is read-only");
    assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'users_db', table: 'dog', ids: [2] }), []);
  });
});

describe('authentication', () => {
  test('no Authorization header is a 401 "Must login"; a garbage bearer is a 401 "Login failed"', async () => {
    assertError(await node.op({ operation: 'describe_all' }, null), 401, 'Must login');
    assertError(await node.op({ operation: 'describe_all' }, 'Bearer not-a-token'), 401, /^Login failed/);
    assertError(await node.op({ operation: 'describe_all' }, 'Bearer aaa.bbb.ccc'), 401, /^Login failed/);
    assertError(await node.op({ operation: 'describe_all' }, basicAuth(ADMIN.username, 'wrong')), 401, 'Login failed');
    assertError(await node.op({ operation: 'describe_all' }, basicAuth('nobody', 'wrong')), 401, 'Login failed');
  });

  test('create_authentication_tokens with credentials in the body gives a working operation token', async () => {
    await addUser(node, 'u_token', 'user', 'token-pw');
    const tokens = await tokensFor('u_token', 'token-pw');
    assert.deepEqual(Object.keys(tokens).sort(), ['operation_token', 'refresh_token']);
    assert.notEqual(tokens.operation_token, tokens.refresh_token);
    const info = await node.op({ operation: 'user_info' }, bearer(tokens.operation_token));
    assert.deepEqual(info, { status: 200, body: { username: 'u_token', active: true, role: roleOf('user') } });
  });

  test('create_authentication_tokens with Basic auth and no body credentials issues tokens for the caller', async () => {
    const response = await node.op({ operation: 'create_authentication_tokens' });
    assert.equal(response.status, 200);
    assert.deepEqual((await node.op({ operation: 'user_info' }, bearer(response.body.operation_token))).body.username, ADMIN.username);
    const anonymous = await node.op({ operation: 'create_authentication_tokens' }, null);
    assertError(anonymous, 401, 'Must login');
  });

  test('create_authentication_tokens with a wrong password is a 401; wrong types a 400', async () => {
    assertError(await node.op({ operation: 'create_authentication_tokens', username: ADMIN.username, password: 'nope' }, null), 401, 'Login failed');
    assertError(await node.op({ operation: 'create_authentication_tokens', username: ADMIN.username }, null), 400, 'password');
    assertError(await node.op({ operation: 'create_authentication_tokens', username: 5, password: 'x' }, null), 400, "'username' must be a string");
  });

  test('refresh_operation_token gives a new operation token that works; a refresh token is not an operation token', async () => {
    await addUser(node, 'u_refresh', 'user', 'refresh-pw');
    const { refresh_token } = await tokensFor('u_refresh', 'refresh-pw');
    const response = await node.op({ operation: 'refresh_operation_token', refresh_token }, null);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body), ['operation_token']);
    assert.equal((await node.op({ operation: 'user_info' }, bearer(response.body.operation_token))).body.username, 'u_refresh');
    assertError(await node.op({ operation: 'user_info' }, bearer(refresh_token)), 401, /^Login failed/);
  });

  test('refresh_operation_token refuses an operation token, garbage, and a missing field', async () => {
    const { operation_token } = await tokensFor(ADMIN.username, ADMIN.password);
    assertError(await node.op({ operation: 'refresh_operation_token', refresh_token: operation_token }, null), 401, 'refresh token');
    assertError(await node.op({ operation: 'refresh_operation_token', refresh_token: 'garbage' }, null), 401, 'refresh token');
    assertError(await node.op({ operation: 'refresh_operation_token' }, null), 400, "'refresh_token' is required");
  });
});

describe('alter_user', () => {
  test('a password change takes effect immediately: the old password fails, the new one works', async () => {
    const old = await addUser(node, 'u_change', 'user', 'old-pw');
    assert.equal((await node.op({ operation: 'user_info' }, old)).status, 200, 'old password works (and is cached) before the change');
    assert.deepEqual(await node.ok({ operation: 'alter_user', username: 'u_change', password: 'new-pw' }), {
      message: 'updated 1 of 1 records',
      new_attributes: [],
      skipped_hashes: [],
      update_hashes: ['u_change'],
    });
    assertError(await node.op({ operation: 'user_info' }, old), 401, 'Login failed');
    assert.equal((await node.op({ operation: 'user_info' }, basicAuth('u_change', 'new-pw'))).status, 200);
    assertError(await node.op({ operation: 'create_authentication_tokens', username: 'u_change', password: 'old-pw' }, null), 401, 'Login failed');
  });

  test('a role change takes effect immediately', async () => {
    const auth = await addUser(node, 'u_demoted', 'user');
    await createTable(node, 'alter_db', 'dog');
    assert.equal((await node.op({ operation: 'insert', database: 'alter_db', table: 'dog', records: [{ id: 1 }] }, auth)).status, 200);
    await node.ok({ operation: 'alter_user', username: 'u_demoted', role: 'read_only' });
    assertError(await node.op({ operation: 'insert', database: 'alter_db', table: 'dog', records: [{ id: 2 }] }, auth), 403, 'read-only');
    await node.ok({ operation: 'alter_user', username: 'u_demoted', role: 'super_user' });
    assert.equal((await node.op({ operation: 'list_users' }, auth)).status, 200);
  });

  test('deactivating a user stops its Basic auth and its tokens', async () => {
    const auth = await addUser(node, 'u_deactivated', 'user', 'pw');
    const { operation_token } = await tokensFor('u_deactivated', 'pw');
    await node.ok({ operation: 'alter_user', username: 'u_deactivated', active: false });
    assertError(await node.op({ operation: 'user_info' }, auth), 401, 'Login failed');
    assertError(await node.op({ operation: 'user_info' }, bearer(operation_token)), 401, /^Login failed/);
    assert.equal((await listedUser('u_deactivated'))?.active, false);
  });

  test('an unknown user is a 404; missing or wrong-typed fields 400; admins cannot demote themselves', async () => {
    assertError(await node.op({ operation: 'alter_user', username: 'u_ghost', password: 'x' }), 404, "User 'u_ghost' does not exist");
    assertError(await node.op({ operation: 'alter_user', password: 'x' }), 400, "'username' is required");
    assertError(await node.op({ operation: 'alter_user', username: 'admin', role: 'king' }), 400, "'role'");
    assertError(await node.op({ operation: 'alter_user', username: 'admin', active: 0 }), 400, "'active' must be a boolean");
    assertError(await node.op({ operation: 'alter_user', username: ADMIN.username, role: 'user' }), 400, 'super_user');
    assertError(await node.op({ operation: 'alter_user', username: ADMIN.username, active: false }), 400, 'deactivate');
    assert.equal((await listedUser('u_ghost')), undefined, 'alter_user does not create users');
  });
});

describe('drop_user', () => {
  test("drop_user makes the user's Basic auth and tokens fail", async () => {
    const auth = await addUser(node, 'u_dropped', 'user', 'pw');
    const { operation_token, refresh_token } = await tokensFor('u_dropped', 'pw');
    assert.equal((await node.op({ operation: 'user_info' }, auth)).status, 200);
    assert.deepEqual(await node.ok({ operation: 'drop_user', username: 'u_dropped' }), { message: 'u_dropped successfully deleted' });
    assertError(await node.op({ operation: 'user_info' }, auth), 401, 'Login failed');
    assertError(await node.op({ operation: 'user_info' }, bearer(operation_token)), 401, /^Login failed/);
    assertError(await node.op({ operation: 'refresh_operation_token', refresh_token }, null), 401, 'refresh token');
    assert.equal(await listedUser('u_dropped'), undefined);
  });

  test('a dropped user can be added again with a new password', async () => {
    await addUser(node, 'u_again', 'user', 'first');
    await node.ok({ operation: 'drop_user', username: 'u_again' });
    await addUser(node, 'u_again', 'read_only', 'second');
    assertError(await node.op({ operation: 'user_info' }, basicAuth('u_again', 'first')), 401, 'Login failed');
    assert.deepEqual((await node.op({ operation: 'user_info' }, basicAuth('u_again', 'second'))).body.role, roleOf('read_only'));
  });

  test('an unknown user is a 404; a missing username a 400; the caller cannot drop itself', async () => {
    assertError(await node.op({ operation: 'drop_user', username: 'u_ghost' }), 404, "User 'u_ghost' does not exist");
    assertError(await node.op({ operation: 'drop_user' }), 400, "'username' is required");
    assertError(await node.op({ operation: 'drop_user', username: ['admin'] }), 400, "'username' must be a string");
    assertError(await node.op({ operation: 'drop_user', username: ADMIN.username }), 400, 'logged in as');
    assert.ok(await listedUser(ADMIN.username));
  });
});
