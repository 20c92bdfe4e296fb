/**
 * Ten nodes (issue 13): a full mesh of ten real nodes on loopback forms — every member shows a
 * connected link to each of the nine others for the system database and a data database — and
 * converges on writes made on different members, once each (every replica ends with the same
 * keys and the same (key, version, origin) digests). An eleventh node that joins one member by
 * add_node is linked with all ten by gossip. Every wait is bounded; nothing is timed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, linkedToAll, startClusterNode, waitForConvergence, waitForFullMesh, waitForVersionsAgree } from '../support/cluster.ts';
import { LATENCY_PING_INTERVAL_MS, PING_INTERVAL_MS } from '../../node-core/replication/liveness.ts';
import { ADMIN, freshLoopbackAddress, waitFor, type NodeProcess } from '../support/node-process.ts';

const NODES = 10;
const DB = 'dev';
const TABLE = 'dog';
const DATABASES = ['system', DB];
/** Generous bounds: ten nodes start and link on a shared two-core machine. */
const MESH_TIMEOUT_MS = 120_000;
const CONVERGE_TIMEOUT_MS = 60_000;

interface Status {
  connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean; latency?: number | null }> }>;
}

describe(`a ${NODES}-node full mesh`, () => {
  let cluster: Cluster;
  let nodes: NodeProcess[];
  let joiner: NodeProcess | undefined;

  before(async () => {
    cluster = await Cluster.start(NODES, { mesh: true });
    nodes = cluster.nodes;
    await nodes[0]!.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    await waitForFullMesh(nodes, DATABASES, MESH_TIMEOUT_MS);
  });
  after(async () => {
    await Promise.all([cluster?.cleanup(), joiner?.cleanup()]);
  });

  test('every member shows exactly the nine others, each linked for every database', async () => {
    for (const [i, node] of nodes.entries()) {
      const status = await node.ok<Status>({ operation: 'cluster_status' });
      const others = nodes.filter((_, j) => j !== i).map((n) => n.host).sort();
      assert.deepEqual(status.connections.map((c) => c.name).sort(), others, `${node.host}'s connections`);
      assert.ok(linkedToAll(status, others, DATABASES), `${node.host}: ${JSON.stringify(status.connections.map((c) => [c.name, c.database_sockets]))}`);
    }
  });

  test('both ends of every link measure latency (a link that hears its peer pings less, not never)', async () => {
    // Each end pings at least every LATENCY_PING_INTERVAL_MS; allow two of them and a tick.
    await waitFor(
      'a measured latency on every socket of every member',
      async () => {
        const statuses = await Promise.all(nodes.map((node) => node.ok<Status>({ operation: 'cluster_status' })));
        return statuses.every((status) => status.connections.every((c) => c.database_sockets.every((s) => typeof s.latency === 'number')));
      },
      2 * LATENCY_PING_INTERVAL_MS + PING_INTERVAL_MS,
      200,
    );
  });

  test('writes on three different members reach all ten, once each', async () => {
    const writers = [nodes[0]!, nodes[4]!, nodes[9]!];
    await Promise.all(
      writers.map((node, w) =>
        node.ok({ operation: 'insert', database: DB, table: TABLE, records: Array.from({ length: 5 }, (_, i) => ({ id: `w${w}-${i}`, by: node.host })) }),
      ),
    );
    // The same key written on two members at once: one version wins everywhere.
    await Promise.all([nodes[2]!, nodes[7]!].map((node) => node.ok({ operation: 'upsert', database: DB, table: TABLE, records: [{ id: 'contended', by: node.host }] })));
    const expectKeys = [...writers.flatMap((_, w) => Array.from({ length: 5 }, (_, i) => JSON.stringify(`w${w}-${i}`))), JSON.stringify('contended')];
    const state = await waitForConvergence(nodes, DB, TABLE, { expectKeys, timeoutMs: CONVERGE_TIMEOUT_MS });
    assert.equal(state.get(JSON.stringify('w1-3'))!.by, nodes[4]!.host);
    assert.ok([nodes[2]!.host, nodes[7]!.host].includes(state.get(JSON.stringify('contended'))!.by as string));
    await waitForVersionsAgree(nodes, DB, TABLE, CONVERGE_TIMEOUT_MS);
  });

  test('an eleventh node that joins one member is linked with all ten by gossip', async () => {
    joiner = await startClusterNode({ host: freshLoopbackAddress() });
    await joiner.ok({ operation: 'add_node', hostname: nodes[3]!.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    const members = nodes.map((n) => n.host);
    await waitFor(
      `the 11th node and all ten members linked both ways for ${DATABASES.join(', ')}`,
      async () => {
        const [own, ...theirs] = await Promise.all([joiner!, ...nodes].map((node) => node.ok<Status>({ operation: 'cluster_status' })));
        return linkedToAll(own!, members, DATABASES) && theirs.every((status) => linkedToAll(status, [joiner!.host], DATABASES));
      },
      MESH_TIMEOUT_MS,
      200,
    );
    // It has the data written before it joined, and what it writes reaches the far end.
    await joiner.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'from-11th', by: joiner.host }] });
    const state = await waitForConvergence([...nodes, joiner], DB, TABLE, { timeoutMs: CONVERGE_TIMEOUT_MS });
    assert.equal(state.size, 17);
    assert.equal(state.get(JSON.stringify('from-11th'))!.by, joiner.host);
  });
});
