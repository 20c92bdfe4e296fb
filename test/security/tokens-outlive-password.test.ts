/**
 * Attack: keep using tokens after the password changed, or after the user was dropped and a new
 * user took the name (issue 10 item 6). Tokens carry the user's token generation, which a
 * password change or a drop replaces: the old operation and refresh tokens stop working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basicAuth, NodeProcess } from '../support/node-process.ts';
import { assertError } from '../support/ops.ts';

type Tokens = { operation_token: string; refresh_token: string };

describe('tokens die with the password', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
  });
  after(async () => node?.cleanup());

  async function tokensOf(username: string, password: string): Promise<Tokens> {
    const response = await node.op<Tokens>({ operation: 'create_authentication_tokens', username, password }, null);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  }

  test('alter_user password change: old operation and refresh tokens are refused', async () => {
    await node.ok({ operation: 'add_user', username: 'carol', password: 'first-pass', role: 'super_user', active: true });
    const old = await tokensOf('carol', 'first-pass');
    assert.equal((await node.op({ operation: 'user_info' }, `Bearer ${old.operation_token}`)).status, 200);
    await node.ok({ operation: 'alter_user', username: 'carol', password: 'second-pass' });
    assertError(await node.op({ operation: 'user_info' }, `Bearer ${old.operation_token}`), 401, 'Login failed');
    assertError(await node.op({ operation: 'refresh_operation_token', refresh_token: old.refresh_token }, null), 401);
    // New tokens for the new password work; a role change alone does not end them.
    const fresh = await tokensOf('carol', 'second-pass');
    await node.ok({ operation: 'alter_user', username: 'carol', role: 'super_user' });
    assert.equal((await node.op({ operation: 'user_info' }, `Bearer ${fresh.operation_token}`)).status, 200);
    const refreshed = await node.op<{ operation_token: string }>({ operation: 'refresh_operation_token', refresh_token: fresh.refresh_token }, null);
    assert.equal(refreshed.status, 200);
    assert.equal((await node.op({ operation: 'user_info' }, `Bearer ${refreshed.body.operation_token}`)).status, 200);
  });

  test('drop_user + add_user of the same name: the old tokens do not act as the new user', async () => {
    await node.ok({ operation: 'add_user', username: 'dave', password: 'dave-pass', role: 'super_user', active: true });
    const old = await tokensOf('dave', 'dave-pass');
    await node.ok({ operation: 'drop_user', username: 'dave' });
    await node.ok({ operation: 'add_user', username: 'dave', password: 'dave-pass', role: 'super_user', active: true });
    assertError(await node.op({ operation: 'user_info' }, `Bearer ${old.operation_token}`), 401);
    assertError(await node.op({ operation: 'list_users' }, `Bearer ${old.operation_token}`), 401);
    assertError(await node.op({ operation: 'refresh_operation_token', refresh_token: old.refresh_token }, null), 401);
    assert.equal((await node.op({ operation: 'user_info' }, basicAuth('dave', 'dave-pass'))).status, 200);
  });

  test('the token generation never leaves the node in user listings', async () => {
    const users = await node.ok<Array<Record<string, unknown>>>({ operation: 'list_users' });
    for (const user of users) {
      assert.ok(!('token_generation' in user), JSON.stringify(user));
      assert.ok(!('password' in user));
    }
  });
});
