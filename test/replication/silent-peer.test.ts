/**
 * Liveness: a peer whose socket stays open but says nothing (its process is frozen with SIGSTOP)
 * is detected by ping/pong and its links closed within the pong timeout; when it wakes, the
 * links come back and what was written meanwhile arrives.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PONG_TIMEOUT_MS } from '../../node-core/replication/link.ts';
import { Cluster, waitFor, waitForConvergence, waitForLink } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

let cluster: Cluster;
before(async () => {
  cluster = await Cluster.start(2, { mesh: true });
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
  await a.ok({ operation: 'create_table', database: 'dev', table: 't', primary_key: 'id' });
  await waitForLink(a, b.host, 'dev');
});
after(async () => {
  cluster?.nodes[1]?.resume();
  await cluster?.cleanup();
});

async function devSocketConnected(node: NodeProcess, peer: string): Promise<boolean> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }> }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === 'dev')?.connected ?? false;
}

test('a frozen peer is detected by ping/pong, and the link recovers when it wakes', async () => {
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
  b.pause();
  const frozenAt = Date.now();
  await waitFor('A to notice the silent peer', async () => !(await devSocketConnected(a, b.host)), PONG_TIMEOUT_MS + 10_000, 200);
  const detectedAfter = Date.now() - frozenAt;
  assert.ok(detectedAfter >= PONG_TIMEOUT_MS - 3_000, `detected after ${detectedAfter} ms: too soon to be the pong timeout`);
  await a.ok({ operation: 'insert', database: 'dev', table: 't', records: [{ id: 'while-frozen' }] });
  b.resume();
  await waitForLink(a, b.host, 'dev', 40_000);
  await waitForConvergence([a, b], 'dev', 't', { expectKeys: ['"while-frozen"'] });
});
