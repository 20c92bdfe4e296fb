import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';

describe('three nodes linked by config routes', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    const [a] = cluster.nodes;
    await a!.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    for (const node of cluster.nodes) {
      for (const peer of cluster.nodes) if (peer !== node) await waitForLink(node, peer.host, 'dev');
    }
  });
  after(async () => cluster?.cleanup());

  test('inserts on each node reach every other node', async () => {
    const [a, b, c] = cluster.nodes;
    await a!.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'a1', name: 'from a' }] });
    await b!.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'b1', name: 'from b' }, { id: 'b2', name: 'also b' }] });
    await c!.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'c1', name: 'from c' }] });
    const state = await waitForConvergence(cluster.nodes, 'dev', 'dog', { expectKeys: ['"a1"', '"b1"', '"b2"', '"c1"'] });
    assert.equal(state.get('"b2"')!.name, 'also b');
  });

  test('updates and deletes replicate too', async () => {
    const [a, b, c] = cluster.nodes;
    await b!.ok({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 'a1', name: 'renamed on b', age: 3 }] });
    await c!.ok({ operation: 'delete', database: 'dev', table: 'dog', ids: ['b2'] });
    const state = await waitForConvergence(cluster.nodes, 'dev', 'dog', { expectKeys: ['"a1"', '"b1"', '"c1"'] });
    assert.deepEqual({ name: state.get('"a1"')!.name, age: state.get('"a1"')!.age }, { name: 'renamed on b', age: 3 });
    for (const node of [a!, b!, c!]) assert.equal((await tableState(node, 'dev', 'dog')).has('"b2"'), false);
    await waitForVersionsAgree(cluster.nodes, 'dev', 'dog');
  });

  test('a table created on one node appears on the others with its records', async () => {
    const [, , c] = cluster.nodes;
    await c!.ok({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' });
    await c!.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ cid: 7, name: 'Tom' }] });
    const state = await waitForConvergence(cluster.nodes, 'dev', 'cat', { primaryKey: 'cid', expectKeys: ['7'] });
    assert.equal(state.get('7')!.name, 'Tom');
  });

  test('cluster_status shows every peer connected for every database', async () => {
    const [a] = cluster.nodes;
    const status = await a!.ok({ operation: 'cluster_status' });
    assert.equal(status.type, 'cluster-status');
    assert.equal(status.node_name, a!.host);
    const names = status.connections.map((c: { name: string }) => c.name).sort();
    assert.deepEqual(names, cluster.nodes.slice(1).map((n) => n.host).sort());
    for (const connection of status.connections) {
      const dev = connection.database_sockets.find((s: { database: string }) => s.database === 'dev');
      assert.equal(dev.connected, true, JSON.stringify(connection));
      assert.equal(typeof dev.lag_ms, 'number');
      assert.equal(typeof dev.pending_transactions, 'number');
    }
  });

  test('an idle mesh stays quiet: schema changes relay once, not round and round', async () => {
    const logEntries = async () =>
      Promise.all(
        cluster.nodes.map(async (node) => {
          const info = await node.ok<{ database_metrics: Record<string, { log_entries: number }> }>({ operation: 'system_information', attributes: ['database_metrics'] });
          return Object.values(info.database_metrics).reduce((sum, db) => sum + db.log_entries, 0);
        }),
      );
    const before = await logEntries();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await logEntries();
    assert.deepEqual(after, before, 'no node may keep logging while nothing is written');
    // A handful of entries per node (the writes above, once each), not thousands of echoes.
    for (const count of after) assert.ok(count < 100, `log entries: ${after.join(', ')}`);
  });
});
