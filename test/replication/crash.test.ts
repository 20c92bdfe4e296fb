/**
 * Durable (SPEC 1.2, 4.3, 6 "Durable"): a write acknowledged by the API survives kill -9 of
 * its node and reaches every replica once the node restarts, with no later write needed to
 * push it out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

async function waitForMesh(nodes: NodeProcess[], database: string): Promise<void> {
  for (const node of nodes) for (const peer of nodes) if (peer !== node) await waitForLink(node, peer.host, database);
}

describe('acknowledged writes survive kill -9 of their node', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    const [a] = cluster.nodes;
    await a!.ok({ operation: 'create_table', database: 'dev', table: 'evt', primary_key: 'id' });
    await waitForMesh(cluster.nodes, 'dev');
  });
  after(async () => cluster?.cleanup());

  test('300 records in small concurrent batches, kill -9 right after the last ack: all reach B and C after restart', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const ids = Array.from({ length: 300 }, (_, i) => `e${String(i).padStart(3, '0')}`);
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += 10) batches.push(ids.slice(i, i + 10));
    // 4 requests in flight at a time.
    const acknowledged: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const body = await a.ok({ operation: 'insert', database: 'dev', table: 'evt', records: batch.map((id) => ({ id, n: Number(id.slice(1)) })) });
          assert.deepEqual([...body.inserted_hashes].sort(), batch);
          acknowledged.push(...batch);
        }
      }),
    );
    await a.kill();
    assert.equal(acknowledged.length, 300);
    const expectKeys = ids.map((id) => JSON.stringify(id));
    await a.startProcess();
    // No write after the restart: the restarted node must stream what it had not sent yet.
    const state = await waitForConvergence(cluster.nodes, 'dev', 'evt', { expectKeys, timeoutMs: 30_000 });
    for (const id of ids) assert.equal(state.get(JSON.stringify(id))!.n, Number(id.slice(1)));
    await waitForVersionsAgree(cluster.nodes, 'dev', 'evt');
    for (const node of [b, c]) assert.deepEqual([...(await tableState(node, 'dev', 'evt')).keys()].sort(), expectKeys);
  });

  test('kill -9 with requests still in flight: every acknowledged record arrives, the rest are all-or-nothing per node set', async () => {
    const [a] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await waitForMesh(cluster.nodes, 'dev');
    const before = [...(await waitForConvergence(cluster.nodes, 'dev', 'evt')).keys()];
    const ids = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
    const acknowledged = new Set<string>();
    let killed: Promise<void> | null = null;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length && !killed) {
          const batch = ids.slice(next, next + 3);
          next += 3;
          const response = await a.op({ operation: 'upsert', database: 'dev', table: 'evt', records: batch.map((id) => ({ id, n: -1 })) }).catch(() => null);
          if (response?.status === 200) {
            for (const id of batch) acknowledged.add(id);
            if (acknowledged.size >= 150 && !killed) killed = a.kill();
          }
        }
      }),
    );
    await killed;
    assert.ok(acknowledged.size >= 150, `only ${acknowledged.size} acknowledged`);
    await a.startProcess();
    await waitForMesh(cluster.nodes, 'dev');
    const state = await waitForConvergence(cluster.nodes, 'dev', 'evt', { timeoutMs: 30_000 });
    await waitForVersionsAgree(cluster.nodes, 'dev', 'evt');
    const missing = [...acknowledged].filter((id) => !state.has(JSON.stringify(id)));
    assert.deepEqual(missing, [], 'acknowledged records lost');
    // Nothing but the old records and (acknowledged or not) records of this run.
    for (const key of state.keys()) assert.ok(before.includes(key) || ids.includes(JSON.parse(key)), `unexpected ${key}`);
    for (const key of before) assert.ok(state.has(key), `old record ${key} lost`);
  });

  test('writes that only A had when it was killed: B and C were stopped, all 300 reach them after A restarts', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await waitForMesh(cluster.nodes, 'dev');
    const before = [...(await waitForConvergence(cluster.nodes, 'dev', 'evt')).keys()];
    await Promise.all([b.stop(), c.stop()]);
    const ids = Array.from({ length: 300 }, (_, i) => `g${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 15) {
      const batch = ids.slice(i, i + 15);
      const body = await a.ok({ operation: 'insert', database: 'dev', table: 'evt', records: batch.map((id) => ({ id, n: i })) });
      assert.equal(body.inserted_hashes.length, batch.length);
    }
    await a.kill();
    await a.startProcess();
    await Promise.all([b.startProcess(), c.startProcess()]);
    const expectKeys = [...before, ...ids.map((id) => JSON.stringify(id))];
    await waitForConvergence(cluster.nodes, 'dev', 'evt', { expectKeys, timeoutMs: 30_000 });
    await waitForVersionsAgree(cluster.nodes, 'dev', 'evt');
  });
});
