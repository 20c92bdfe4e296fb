/**
 * remove_node (seed "Removing Nodes", SPEC 4.3): removing a peer stops replication both ways
 * (shown by cluster_status link state, not only by absence of data); adding it back resumes
 * from the saved positions without a full database copy, and the writes made meanwhile arrive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, tableState, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

interface Socket {
  database: string;
  connected: boolean;
  copy_progress?: { copied: number; total: number; done: boolean };
  lastError?: string;
}
interface Status {
  connections: Array<{ name: string; database_sockets: Socket[] }>;
}

const status = (node: NodeProcess) => node.ok<Status>({ operation: 'cluster_status' });

async function copyLogLines(node: NodeProcess): Promise<number> {
  const lines = await node.ok<Array<{ message: string }>>({ operation: 'read_log', level: 'info', limit: 10_000 });
  return lines.filter((line) => /Sending database copy|Receiving database copy/.test(JSON.stringify(line))).length;
}

/** True while `node` shows no open link to `peer` for any database. */
async function noOpenLink(node: NodeProcess, peer: string): Promise<boolean> {
  const s = await status(node);
  return !s.connections.some((c) => c.name === peer && c.database_sockets.some((d) => d.connected));
}

describe('remove_node stops replication; adding the node back resumes it without a copy', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    [a, b] = await Promise.all([startClusterNode({}), startClusterNode({})]);
    await a.ok({ operation: 'create_table', database: 'dev', table: 'thing', primary_key: 'id' });
    await a.ok({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    for (const database of ['system', 'dev']) {
      await waitForLink(a, b.host, database);
      await waitForLink(b, a.host, database);
    }
    await a.ok({ operation: 'insert', database: 'dev', table: 'thing', records: [{ id: 'a0', side: 'A' }] });
    await b.ok({ operation: 'insert', database: 'dev', table: 'thing', records: [{ id: 'b0', side: 'B' }] });
    await waitForConvergence([a, b], 'dev', 'thing', { expectKeys: ['"a0"', '"b0"'] });
  });
  after(async () => Promise.all([a, b].map((n) => n?.cleanup())));

  test('after remove_node B on A: no B connection on A, no open link on B, writes do not cross', async () => {
    const body = await a.ok({ operation: 'remove_node', hostname: b.host });
    assert.match(body.message, /Successfully removed/);
    // Link state first, so the negative below is not just timing.
    await waitFor('A to show no connection to B', async () => !(await status(a)).connections.some((c) => c.name === b.host));
    await waitFor('B to have no open link to A', () => noOpenLink(b, a.host));
    const nodesOnA = [...(await tableState(a, 'system', 'hdb_nodes', 'name')).keys()];
    assert.ok(!nodesOnA.includes(JSON.stringify(b.host)), `A still has a row for B: ${nodesOnA}`);

    await a.ok({ operation: 'insert', database: 'dev', table: 'thing', records: [{ id: 'a-removed', side: 'A' }] });
    await b.ok({ operation: 'insert', database: 'dev', table: 'thing', records: [{ id: 'b-removed', side: 'B' }] });
    // Bounded window: for 2 s (while B keeps redialling A and is refused) nothing crosses.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      assert.deepEqual([...(await tableState(a, 'dev', 'thing')).keys()].sort(), ['"a-removed"', '"a0"', '"b0"']);
      assert.deepEqual([...(await tableState(b, 'dev', 'thing')).keys()].sort(), ['"a0"', '"b-removed"', '"b0"']);
      assert.ok(!(await status(a)).connections.some((c) => c.name === b.host), 'A shows B again');
      assert.ok(await noOpenLink(b, a.host), 'B has an open link to A again');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  test('add_node B again: replication resumes from the saved positions without a database copy', async () => {
    const copiesBefore = [await copyLogLines(a), await copyLogLines(b)];
    // The initial sync of the fresh nodes did log copies: the count below can see them.
    assert.ok(copiesBefore[0]! + copiesBefore[1]! > 0, "no copy lines found in read_log at all");
    await a.ok({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    for (const database of ['system', 'dev']) {
      await waitForLink(a, b.host, database);
      await waitForLink(b, a.host, database);
    }
    // The writes made while removed arrive, both ways.
    const state = await waitForConvergence([a, b], 'dev', 'thing', { expectKeys: ['"a-removed"', '"a0"', '"b-removed"', '"b0"'] });
    assert.equal(state.get('"b-removed"')!.side, 'B');
    await waitForVersionsAgree([a, b], 'dev', 'thing');
    await a.ok({ operation: 'insert', database: 'dev', table: 'thing', records: [{ id: 'a-readded', side: 'A' }] });
    await waitForConvergence([a, b], 'dev', 'thing', { expectKeys: ['"a-readded"', '"a-removed"', '"a0"', '"b-removed"', '"b0"'] });
    // No copy on the re-added links: none in cluster_status, none in either log.
    for (const [node, peer] of [[a, b], [b, a]] as const) {
      const connection = (await status(node)).connections.find((c) => c.name === peer.host)!;
      for (const socket of connection.database_sockets) {
        assert.equal(socket.connected, true, JSON.stringify(socket));
        assert.equal(socket.copy_progress, undefined, `${node.host} copied ${socket.database} from ${peer.host}: ${JSON.stringify(socket)}`);
      }
    }
    assert.deepEqual([await copyLogLines(a), await copyLogLines(b)], copiesBefore);
  });
});
