/**
 * cluster_network (issue 11): one login on one node sees every member's own cluster_status and
 * system summary, gathered over the replication links; a member that cannot be reached is
 * reported as such, with why and the age of its last answer; a member this node has no link
 * to is asked through one it has; the answer carries no credential.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NETWORK_CACHE_MS } from '../../node-core/replication/network.ts';
import { Cluster, REPLICATION_PORT, startClusterNode, waitForLink } from '../support/cluster.ts';
import { ADMIN, freshLoopbackAddress, waitFor, type NodeProcess } from '../support/node-process.ts';

interface Member {
  node_name: string;
  url: string | null;
  status: string;
  error?: string;
  via?: string;
  age_ms: number | null;
  answered_at: string | null;
  cluster_status?: { node_name: string; connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }> };
  system?: Record<string, unknown>;
}
interface Network {
  type: string;
  node_name: string;
  members: Member[];
}

async function waitForMesh(nodes: NodeProcess[], pairs: Array<[NodeProcess, NodeProcess]> = []): Promise<void> {
  const all = pairs.length ? pairs : nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b): [NodeProcess, NodeProcess] => [a, b]));
  for (const [a, b] of all) await waitForLink(a, b.host, 'system');
}

function assertOk(member: Member, peers: string[]): void {
  assert.equal(member.status, 'ok', JSON.stringify(member));
  assert.equal(member.cluster_status?.node_name, member.node_name);
  assert.deepEqual(member.cluster_status?.connections.map((c) => c.name).sort(), peers.sort());
  for (const connection of member.cluster_status!.connections) {
    assert.ok(connection.database_sockets.some((s) => s.database === 'system' && s.connected), JSON.stringify(connection));
  }
  const system = member.system!;
  assert.equal(system.node_name, member.node_name);
  for (const field of ['version', 'hostname', 'platform']) assert.equal(typeof system[field], 'string', field);
  for (const field of ['uptime_s', 'cpu_load_percent', 'memory_rss_bytes']) assert.equal(typeof system[field], 'number', field);
  assert.equal(typeof member.age_ms, 'number');
  assert.ok(member.age_ms! >= 0);
  assert.ok(member.answered_at && !Number.isNaN(Date.parse(member.answered_at)), String(member.answered_at));
}

describe('cluster_network on a 3-node mesh', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    await waitForMesh(cluster.nodes);
  });
  after(async () => cluster?.cleanup());

  test('one login on one node sees all three members ok, each with its own cluster_status', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const network = await a.ok<Network>({ operation: 'cluster_network' });
    assert.equal(network.type, 'cluster-network');
    assert.equal(network.node_name, a.host);
    assert.deepEqual(network.members.map((m) => m.node_name), [a.host, ...[b.host, c.host].sort()]);
    const hosts = [a.host, b.host, c.host];
    for (const member of network.members) {
      assertOk(member, hosts.filter((h) => h !== member.node_name));
      assert.equal(member.via, undefined, 'every member is linked directly');
      assert.equal(member.url, `ws://${member.node_name}:${REPLICATION_PORT}`);
    }
    const text = JSON.stringify(network);
    assert.ok(!text.includes(ADMIN.password) && !/authorization|basic /i.test(text), 'no credential in the answer');
  });

  test('answers are cached: a second call within the cache window asks nobody and shows the age', async () => {
    const [a] = cluster.nodes as [NodeProcess];
    // Let any earlier round's window pass, so the first call below starts a fresh round.
    await new Promise((resolve) => setTimeout(resolve, NETWORK_CACHE_MS));
    const started = Date.now();
    const first = await a.ok<Network>({ operation: 'cluster_network' });
    const second = await a.ok<Network>({ operation: 'cluster_network' });
    if (Date.now() - started < NETWORK_CACHE_MS) {
      for (const [i, member] of second.members.entries()) {
        assert.equal(member.answered_at, first.members[i]!.answered_at, `${member.node_name} was asked again within the cache window`);
        assert.ok(member.age_ms! >= first.members[i]!.age_ms!);
        assert.ok(member.age_ms! < NETWORK_CACHE_MS * 2, `age ${member.age_ms}`);
      }
    }
  });

  test('a bad timeout is refused naming the field; other users may not ask', async () => {
    const [a] = cluster.nodes as [NodeProcess];
    for (const timeout of [50, 60_001, 'soon', 1.5]) {
      const response = await a.op<{ error: string }>({ operation: 'cluster_network', timeout });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error, /timeout/);
    }
    await a.ok({ operation: 'add_user', username: 'reader', password: 'reader-pass-1', role: 'user', active: true });
    const response = await a.op({ operation: 'cluster_network' }, 'Basic ' + Buffer.from('reader:reader-pass-1').toString('base64'));
    assert.equal(response.status, 403, JSON.stringify(response.body));
  });

  test('a member that does not answer in time is reported as a timeout, the others still ok', async () => {
    const [a, , c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    c.pause();
    try {
      // Polling inside the cache window returns the last round; the next round finds C silent.
      const network = await waitFor('C reported as a timeout', async () => {
        const answer = await a.ok<Network>({ operation: 'cluster_network', timeout: 500 });
        return answer.members.find((m) => m.node_name === c.host)?.status === 'timeout' ? answer : undefined;
      }, 20_000, 200);
      const silent = network.members.find((m) => m.node_name === c.host)!;
      assert.match(silent.error ?? '', /did not answer within 500 ms/);
      assert.equal(typeof silent.age_ms, 'number', 'the age of the last answer C gave');
      for (const member of network.members.filter((m) => m.node_name !== c.host)) assert.equal(member.status, 'ok', JSON.stringify(member));
    } finally {
      c.resume();
    }
    await waitFor('C answers again', async () => (await a.ok<Network>({ operation: 'cluster_network' })).members.every((m) => m.status === 'ok'), 20_000, 200);
  });

  test('a stopped member is reported unreachable, with why and the age of its last answer', async (t) => {
    const [a, , c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const before = await a.ok<Network>({ operation: 'cluster_network' });
    assert.equal(before.members.find((m) => m.node_name === c.host)?.status, 'ok');
    await c.stop();
    const network = await waitFor('C reported unreachable', async () => {
      const answer = await a.ok<Network>({ operation: 'cluster_network', timeout: 1_000 });
      return answer.members.find((m) => m.node_name === c.host)?.status === 'unreachable' ? answer : undefined;
    }, 20_000, 200);
    const gone = network.members.find((m) => m.node_name === c.host)!;
    t.diagnostic(`unreachable: ${gone.error}; age_ms ${gone.age_ms}`);
    assert.match(gone.error ?? '', new RegExp(`no open replication link from '${a.host.replace(/\./g, '\\.')}'`));
    assert.match(gone.error ?? '', /via '/, 'the other member was asked too, and said why');
    assert.equal(gone.cluster_status, undefined);
    assert.equal(typeof gone.age_ms, 'number', 'the age of the last answer C gave');
    assert.ok(gone.answered_at);
    for (const member of network.members.filter((m) => m.node_name !== c.host)) assert.equal(member.status, 'ok', JSON.stringify(member));
  });
});

describe('cluster_network through a relay', () => {
  let cluster: Cluster;
  let hosts: string[];
  before(async () => {
    // A and C each reach B; each points at the other on a port nothing listens on, so A and C
    // never link (routes outrank the gossiped hdb_nodes URL).
    hosts = [freshLoopbackAddress(), freshLoopbackAddress(), freshLoopbackAddress()];
    const [ha, hb, hc] = hosts as [string, string, string];
    const deadEnd = (host: string) => `${host}:1`;
    const routes = [[hb, deadEnd(hc)], [ha, hc], [hb, deadEnd(ha)]];
    cluster = new Cluster(await Promise.all(hosts.map((host, i) => startClusterNode({ host, routes: routes[i]! }))));
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await waitForMesh(cluster.nodes, [[a, b], [b, a], [b, c], [c, b]]);
  });
  after(async () => cluster?.cleanup());

  test('A sees C, which it has no link to, through B', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const network = await a.ok<Network>({ operation: 'cluster_network' });
    const byName = new Map(network.members.map((m) => [m.node_name, m]));
    assert.deepEqual([...byName.keys()].sort(), [a.host, b.host, c.host].sort());
    const relayed = byName.get(c.host)!;
    assert.equal(relayed.status, 'ok', JSON.stringify(relayed));
    assert.equal(relayed.via, b.host);
    assert.equal(relayed.cluster_status?.node_name, c.host);
    assert.equal(byName.get(b.host)!.status, 'ok');
    assert.equal(byName.get(b.host)!.via, undefined);
  });
});
