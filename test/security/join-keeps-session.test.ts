/**
 * Joining a cluster is not a password change: two nodes each create their first admin on first
 * start; when they link, `hdb_user` replicates and one node's admin row wins on both. Tokens a
 * user holds on either node must keep working (a drop, re-add or password change still ends
 * them: tokens-outlive-password.test.ts). Found by the cluster view's e2e test: the session on
 * the node the user was working on died the moment add_node succeeded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

type Tokens = { operation_token: string; refresh_token: string };
type Stamp = { username: string; $version: number; $origin: string };

describe('a session survives its node joining a cluster', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    cluster = await Cluster.start(2);
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
  });
  after(async () => cluster?.cleanup());

  const tokensOn = async (node: NodeProcess) => node.ok<Tokens>({ operation: 'create_authentication_tokens', username: ADMIN.username, password: ADMIN.password });
  const adminStamp = async (node: NodeProcess) =>
    (await node.ok<Stamp[]>({ operation: 'search_by_id', database: 'system', table: 'hdb_user', ids: [ADMIN.username], get_attributes: ['username', '$version', '$origin'] }))[0];

  test('tokens from both nodes still work once their admin rows have converged', async () => {
    const [onA, onB] = [await tokensOn(a), await tokensOn(b)];
    await a.ok({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    await waitForLink(a, b.host, 'system');
    await waitFor('the admin rows to converge', async () => {
      const [x, y] = [await adminStamp(a), await adminStamp(b)];
      return x && y && x.$version === y.$version && x.$origin === y.$origin;
    });
    for (const [node, tokens] of [[a, onA], [b, onB]] as const) {
      const info = await node.op({ operation: 'user_info' }, `Bearer ${tokens.operation_token}`);
      assert.equal(info.status, 200, `${node.host}: ${JSON.stringify(info.body)}`);
      const refreshed = await node.op({ operation: 'refresh_operation_token', refresh_token: tokens.refresh_token }, null);
      assert.equal(refreshed.status, 200, `${node.host} refresh: ${JSON.stringify(refreshed.body)}`);
    }
  });
});
