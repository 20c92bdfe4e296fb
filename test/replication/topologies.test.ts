/**
 * SPEC 4.8 relay: with an incomplete mesh (a star, a chain) and no gossip (only "data"
 * replicates, so hdb_nodes does not), writes still reach every node through the nodes in
 * between, and nothing is applied twice: every replica ends with the same keys and the same
 * (key, version, origin) digests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'data';
const TABLE = 'item';

/** Names of the peers `node` has an open link with for `database`. */
async function linkedPeers(node: NodeProcess, database: string): Promise<string[]> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }> }>({ operation: 'cluster_status' });
  return status.connections.filter((c) => c.database_sockets.some((s) => s.database === database && s.connected)).map((c) => c.name).sort();
}

async function insert(node: NodeProcess, records: Array<Record<string, unknown>>): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: DB, table: TABLE, records });
  assert.equal(body.inserted_hashes.length, records.length);
}

const keys = (...ids: string[]) => ids.map((id) => JSON.stringify(id));

describe('star: hub H with leaves L1, L2, L3 that only know H', () => {
  let cluster: Cluster;
  let hub: NodeProcess;
  let leaves: NodeProcess[];

  before(async () => {
    cluster = await Cluster.start(4, {
      perNode: (i, hosts) => (i === 0 ? { routes: hosts.slice(1), databases: [DB] } : { routes: [hosts[0]!], databases: [DB] }),
    });
    [hub, ...leaves] = cluster.nodes as [NodeProcess, ...NodeProcess[]];
    await hub.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (const leaf of leaves) {
      await waitForLink(hub, leaf.host, DB);
      await waitForLink(leaf, hub.host, DB);
    }
    await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: [] });
  });
  after(async () => cluster?.cleanup());

  test('leaves are linked only to the hub (no gossip)', async () => {
    assert.deepEqual(await linkedPeers(hub, DB), leaves.map((l) => l.host).sort());
    for (const leaf of leaves) assert.deepEqual(await linkedPeers(leaf, DB), [hub.host]);
    // hdb_nodes does not replicate: a leaf knows no other leaf.
    for (const leaf of leaves) {
      const nodes = await leaf.ok<Array<{ name: string }>>({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' });
      for (const other of leaves) if (other !== leaf) assert.ok(!nodes.some((n) => n.name === other.host), `${leaf.host} learned ${other.host}: ${JSON.stringify(nodes)}`);
    }
  });

  test('a write on L1 reaches L2 and L3 through the hub, once', async () => {
    const [l1, l2, l3] = leaves as [NodeProcess, NodeProcess, NodeProcess];
    await insert(l1, [{ id: 'from-l1', n: 1 }, { id: 'from-l1-b', n: 2 }]);
    const state = await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: keys('from-l1', 'from-l1-b') });
    assert.equal(state.get('"from-l1"')!.n, 1);
    await waitForVersionsAgree(cluster.nodes, DB, TABLE);

    // Writes from every leaf and the hub, including an update and a delete relayed through H.
    await insert(l2, [{ id: 'from-l2', n: 3 }]);
    await insert(l3, [{ id: 'from-l3', n: 4 }]);
    await insert(hub, [{ id: 'from-h', n: 5 }]);
    await l3.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'from-l1', n: 10, touched: 'l3' }] });
    await l2.ok({ operation: 'delete', database: DB, table: TABLE, ids: ['from-l1-b'] });
    const final = await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: keys('from-l1', 'from-l2', 'from-l3', 'from-h') });
    assert.deepEqual([final.get('"from-l1"')!.n, final.get('"from-l1"')!.touched], [10, 'l3']);
    await waitForVersionsAgree(cluster.nodes, DB, TABLE);
    for (const node of cluster.nodes) assert.equal((await tableState(node, DB, TABLE)).has('"from-l1-b"'), false);
  });
});

describe('chain: A – B – C', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start(3, {
      perNode: (i, hosts) => ({ routes: i === 1 ? [hosts[0]!, hosts[2]!] : [hosts[1]!], databases: [DB] }),
    });
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await b.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    await waitForLink(a, b.host, DB);
    await waitForLink(c, b.host, DB);
    await waitForLink(b, a.host, DB);
    await waitForLink(b, c.host, DB);
    await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: [] });
  });
  after(async () => cluster?.cleanup());

  test('the ends are not linked to each other', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    assert.deepEqual(await linkedPeers(a, DB), [b.host]);
    assert.deepEqual(await linkedPeers(c, DB), [b.host]);
  });

  test("A's writes reach C and C's reach A", async () => {
    const [a, , c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await insert(a, [{ id: 'a1', from: 'a' }, { id: 'a2', from: 'a' }]);
    await insert(c, [{ id: 'c1', from: 'c' }]);
    const state = await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: keys('a1', 'a2', 'c1') });
    assert.equal(state.get('"c1"')!.from, 'c');
    await waitForVersionsAgree(cluster.nodes, DB, TABLE);

    await c.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'a1', from: 'a', edited: 'c' }] });
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: ['c1'] });
    const final = await waitForConvergence(cluster.nodes, DB, TABLE, { expectKeys: keys('a1', 'a2') });
    assert.equal(final.get('"a1"')!.edited, 'c');
    await waitForVersionsAgree(cluster.nodes, DB, TABLE);
  });
});
