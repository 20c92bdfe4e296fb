/**
 * Relay only where needed (node-core/replication/relay.ts). In a full mesh each receiver gets
 * each transaction once, from its origin, not again from every other receiver; and when a
 * direct link drops mid-stream (the fault proxy blackholes it), nothing the relay skipped
 * meanwhile is lost: it is caught up through the node in between, which keeps relaying while
 * the mesh is a chain. Over plain ws (the relay logic is the same over wss).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PING_INTERVAL_MS, PONG_TIMEOUT_MS } from '../../node-core/replication/liveness.ts';
import { Cluster, tableState, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import { FaultNetwork } from '../support/fault-network.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'data';
const TABLE = 'item';
/** A link blackholed one way is closed by liveness within this (then relays take over). */
const DETECT_MS = PING_INTERVAL_MS + PONG_TIMEOUT_MS + 10_000;

interface Socket {
  database: string;
  connected: boolean;
  entries_received?: number;
  catchup_entries_received?: number;
  peer_direct_origins?: string[];
}
interface Status {
  connections: Array<{ name: string; database_sockets: Socket[] }>;
}

async function socketOf(node: NodeProcess, peer: string): Promise<Socket | undefined> {
  const status = await node.ok<Status>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === DB && s.connected);
}

/** Wait until `node` publishes to `peer` knowing that `peer` streams `origins` directly. */
async function waitForDirect(node: NodeProcess, peer: string, origins: string[], timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node.host} to see ${peer} stream [${origins.join(', ')}] directly`, async () => {
    const socket = await socketOf(node, peer);
    return JSON.stringify(socket?.peer_direct_origins ?? null) === JSON.stringify([...origins].sort());
  }, timeoutMs);
}

async function insert(node: NodeProcess, ids: string[], tag: string): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: DB, table: TABLE, records: ids.map((id) => ({ id, tag })) });
  assert.equal(body.inserted_hashes.length, ids.length);
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const keys = (list: string[]) => list.map((id) => JSON.stringify(id));

describe('full mesh of 3: each receiver gets each entry once', () => {
  let cluster: Cluster;
  let nodes: NodeProcess[];
  let warm: string[] = [];

  before(async () => {
    cluster = await Cluster.start(3, { mesh: true, perNode: () => ({ databases: [DB] }) });
    nodes = cluster.nodes;
    await nodes[0]!.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (const node of nodes) for (const other of nodes) if (node !== other) await waitForLink(node, other.host, DB);
    // A peer counts as direct once something of its own arrived over its link (relay.ts): one
    // write from each node first.
    warm = nodes.map((node) => `warm-${node.host}`);
    for (const [i, node] of nodes.entries()) await insert(node, [warm[i]!], 'warm');
    await waitForConvergence(nodes, DB, TABLE, { expectKeys: keys(warm) });
    // Every publisher knows its peer streams the third node directly.
    for (const node of nodes) for (const peer of nodes) {
      if (peer === node) continue;
      const third = nodes.find((n) => n !== node && n !== peer)!;
      await waitForDirect(node, peer.host, [third.host]);
    }
  });
  after(async () => cluster?.cleanup());

  test('writes on A reach B and C from A only; nothing is relayed between B and C', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const before = await Promise.all([socketOf(b, a.host), socketOf(b, c.host), socketOf(c, a.host), socketOf(c, b.host)]);
    const written: string[] = [];
    for (let t = 0; t < 20; t++) {
      const batch = ids(`mesh-${t}`, 5);
      await insert(a, batch, 'a');
      written.push(...batch);
    }
    await waitForConvergence(nodes, DB, TABLE, { expectKeys: keys([...warm, ...written]) });
    await waitForVersionsAgree(nodes, DB, TABLE);
    const afterwards = await Promise.all([socketOf(b, a.host), socketOf(b, c.host), socketOf(c, a.host), socketOf(c, b.host)]);
    const delta = afterwards.map((s, i) => (s?.entries_received ?? NaN) - (before[i]?.entries_received ?? NaN));
    assert.deepEqual(delta, [20, 0, 20, 0], 'entries received per link: B<-A, B<-C, C<-A, C<-B');
  });
});

describe('a direct link blackholed mid-stream: entries come through the relay', () => {
  let net: FaultNetwork;
  // O (origin) = 0, P (receiver) = 1, C (relay in between) = 2
  let o: NodeProcess;
  let p: NodeProcess;
  let c: NodeProcess;

  before(async () => {
    net = await FaultNetwork.start(3, { scheme: 'ws', seed: 9013, perNode: () => ({ databases: [DB] }) });
    [o, p, c] = [net.node(0), net.node(1), net.node(2)];
    await o.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (const node of net.nodes) for (const other of net.nodes) if (node !== other) await waitForLink(node, other.host, DB);
    await waitForDirect(c, p.host, [o.host]);
    await waitForConvergence(net.nodes, DB, TABLE, { expectKeys: [] });
  });
  after(async () => net?.cleanup());

  test('O -> P blocked while O writes: P gets every write through C', async () => {
    const written: string[] = [];
    // Writes go on while the link is cut: some are skipped by C (P's direct link still looks
    // up) and reach P only by C's catch-up once P's liveness drops the link.
    for (let t = 0; t < 40; t++) {
      if (t === 10) net.setFault(0, 1, { mode: 'blackhole' });
      const batch = ids(`cut-${t}`, 3);
      await insert(o, batch, 'o');
      written.push(...batch);
    }
    await waitForConvergence(net.nodes, DB, TABLE, { expectKeys: keys(written), timeoutMs: DETECT_MS + 20_000 });
    // The writes just after the cut were skipped by C (P's link to O still looked up): caught up.
    const fromC = await socketOf(p, c.host);
    assert.ok((fromC?.catchup_entries_received ?? 0) > 0, `P was caught up by C: ${JSON.stringify(fromC)}`);
    await waitForVersionsAgree(net.nodes, DB, TABLE);
  });

  test('with O and P cut off both ways the mesh is a chain O - C - P, and C relays both ways', async () => {
    net.setLinkFault(0, 1, { mode: 'blackhole' });
    await waitForDirect(c, p.host, [], DETECT_MS);
    await waitForDirect(c, o.host, [], DETECT_MS);
    await insert(o, ['chain-o'], 'o');
    await insert(p, ['chain-p'], 'p');
    await p.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'cut-0-0', tag: 'edited on p' }] });
    await waitFor('chain writes on every node', async () => {
      for (const node of net.nodes) {
        const state = await tableState(node, DB, TABLE);
        if (!state.has('"chain-o"') || !state.has('"chain-p"') || state.get('"cut-0-0"')?.tag !== 'edited on p') return false;
      }
      return true;
    }, 30_000).catch(async (error: unknown) => {
      for (const node of net.nodes) {
        const state = await tableState(node, DB, TABLE);
        console.log(node.host, state.has('"chain-o"'), state.has('"chain-p"'), state.get('"cut-0-0"')?.tag, JSON.stringify((await node.ok<Status>({ operation: 'cluster_status' })).connections.map((x) => [x.name, x.database_sockets.filter((d) => d.database === DB)])));
        console.log(node.stderr.split('\n').filter((l) => /error|warn|fail/i.test(l)).slice(-10).join('\n'));
      }
      throw error;
    });
    await waitForVersionsAgree(net.nodes, DB, TABLE);
  });

  test('healed: O is direct for P again and writes still converge', async () => {
    net.heal();
    await waitForLink(p, o.host, DB, DETECT_MS + 30_000);
    await waitForDirect(c, p.host, [o.host], 30_000);
    await insert(o, ['healed-o'], 'o');
    await waitFor('healed write on P', async () => (await tableState(p, DB, TABLE)).has('"healed-o"'), 30_000);
    await waitForVersionsAgree(net.nodes, DB, TABLE);
  });
});
