/**
 * Membership under a `replication.databases` list that names `system` (a list with sharding
 * settings implies it): the system database replicates, so gossip joins the cluster from one
 * add_node per node, and every
 * node's `hdb_nodes` row carries its configured `shard` on every node, even though add_node on
 * the joining side writes the peer's row without it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

describe('membership with a replication.databases list and shards', () => {
  let nodes: NodeProcess[] = [];
  before(async () => {
    nodes = await Promise.all([1, 2, 2].map((shard) => startClusterNode({ databases: ['dev', 'system'], args: [`--REPLICATION_SHARD=${shard}`] })));
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    for (const peer of [b, c]) await a.ok({ operation: 'add_node', hostname: peer.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
  });
  after(async () => Promise.all(nodes.map((n) => n.cleanup())));

  test('gossip links the two nodes A joined to each other (system is listed, so it replicates)', async () => {
    const [, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await waitForLink(b, c.host, 'system');
    await waitForLink(c, b.host, 'system');
  });

  test('every node sees every node’s shard on its hdb_nodes row', async () => {
    const expected = Object.fromEntries(nodes.map((n, i) => [n.host, [1, 2, 2][i]]));
    for (const node of nodes) {
      await waitFor(`${node.host} to see every shard`, async () => {
        const rows = await node.ok<Array<{ name: string; shard?: number }>>({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' });
        return JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, r.shard]).sort())) === JSON.stringify(Object.fromEntries(Object.entries(expected).sort()));
      });
    }
    const status = await nodes[0]!.ok<{ shard: number; connections: Array<{ name: string; shard?: number }> }>({ operation: 'cluster_status' });
    assert.equal(status.shard, 1);
    assert.deepEqual(status.connections.map((conn) => conn.shard), [2, 2]);
  });
});
