/**
 * Attack: a non-super_user reads host details (system_information: host name, kernel,
 * addresses, PIDs, root path) or describes the system database (issue 10 item 7). Both are
 * super_user only, as the other reads of `system` are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { addUser, assertError } from '../support/ops.ts';

describe('system details for super_users only', () => {
  let node: NodeProcess;
  const users: Record<string, string> = {};
  before(async () => {
    node = await NodeProcess.start();
    for (const role of ['user', 'read_only', 'cluster_user']) users[role] = await addUser(node, `x-${role}`, role);
  });
  after(async () => node?.cleanup());

  for (const role of ['user', 'read_only', 'cluster_user']) {
    test(`${role}: system_information and describe_* of system answer 403`, async () => {
      const auth = users[role]!;
      assertError(await node.op({ operation: 'system_information' }, auth), 403, 'super_user');
      assertError(await node.op({ operation: 'system_information', attributes: ['network'] }, auth), 403, 'super_user');
      assertError(await node.op({ operation: 'describe_database', database: 'system' }, auth), 403, 'super_user');
      assertError(await node.op({ operation: 'describe_schema', schema: 'system' }, auth), 403, 'super_user');
      assertError(await node.op({ operation: 'describe_table', database: 'system', table: 'hdb_user' }, auth), 403, 'super_user');
      assertError(await node.op({ operation: 'describe_table', schema: 'system', table: 'hdb_nodes' }, auth), 403, 'super_user');
      const all = await node.op({ operation: 'describe_all' }, auth);
      assert.equal(all.status, 200);
      assert.ok(!('system' in (all.body as object)));
    });
  }

  test('super_user still reads them', async () => {
    assert.ok((await node.ok({ operation: 'system_information' })).system);
    assert.ok((await node.ok({ operation: 'describe_database', database: 'system' })).hdb_user);
    assert.equal((await node.ok({ operation: 'describe_table', database: 'system', table: 'hdb_user' })).name, 'hdb_user');
  });
});
