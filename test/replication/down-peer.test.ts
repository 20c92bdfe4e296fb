/**
 * A peer that is down misses nothing (SPEC 4.6, 4.8, 6 "No resurrection"): records deleted,
 * updated and inserted on the others while it is stopped reach it when it comes back, deleted
 * records stay deleted on every node (also after another restart), and what it missed reaches
 * it through a relay when the node that wrote it is down by then.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const keysOf = (ids: string[]) => ids.map((id) => JSON.stringify(id));
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

async function waitForMesh(nodes: NodeProcess[], database: string): Promise<void> {
  for (const node of nodes) for (const peer of nodes) if (peer !== node) await waitForLink(node, peer.host, database);
}

async function assertAbsentEverywhere(nodes: NodeProcess[], ids: string[]): Promise<void> {
  for (const node of nodes) {
    const response = await node.ok<unknown[]>({ operation: 'search_by_id', database: 'dev', table: 'doc', ids, get_attributes: ['*'] });
    assert.deepEqual(response, [], `${node.host} still has deleted records`);
  }
}

describe('a node that was down gets everything it missed', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    const [a] = cluster.nodes;
    await a!.ok({ operation: 'create_table', database: 'dev', table: 'doc', primary_key: 'id' });
    await waitForMesh(cluster.nodes, 'dev');
  });
  after(async () => cluster?.cleanup());

  test('deletes, updates and inserts made while C was stopped reach C; nothing is resurrected', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const base = range('base', 12);
    await a.ok({ operation: 'insert', database: 'dev', table: 'doc', records: base.map((id) => ({ id, text: 'original' })) });
    await waitForConvergence(cluster.nodes, 'dev', 'doc', { expectKeys: keysOf(base) });

    await c.stop();
    const deletedOnA = base.slice(0, 4);
    const deletedOnB = base.slice(4, 6);
    const updatedOnB = base.slice(6, 9);
    const newOnB = range('new-b', 5);
    const newOnA = range('new-a', 3);
    assert.deepEqual((await a.ok({ operation: 'delete', database: 'dev', table: 'doc', ids: deletedOnA })).deleted_hashes, deletedOnA);
    assert.deepEqual((await b.ok({ operation: 'delete', database: 'dev', table: 'doc', ids: deletedOnB })).deleted_hashes, deletedOnB);
    await b.ok({ operation: 'update', database: 'dev', table: 'doc', records: updatedOnB.map((id) => ({ id, text: 'updated on B' })) });
    await b.ok({ operation: 'insert', database: 'dev', table: 'doc', records: newOnB.map((id) => ({ id, text: 'new on B' })) });
    await a.ok({ operation: 'insert', database: 'dev', table: 'doc', records: newOnA.map((id) => ({ id, text: 'new on A' })) });
    // A re-insert of a deleted key on A after its delete: the newest write wins everywhere.
    await a.ok({ operation: 'insert', database: 'dev', table: 'doc', records: [{ id: deletedOnA[0], text: 'reborn on A' }] });
    // Created on A and deleted on B while C is away: C must never show them, whatever order it hears A and B in.
    const ephemeral = range('ephemeral', 4);
    await a.ok({ operation: 'insert', database: 'dev', table: 'doc', records: ephemeral.map((id) => ({ id, text: 'short-lived' })) });
    await waitForConvergence([a, b], 'dev', 'doc', { expectKeys: keysOf([...base.filter((id) => !deletedOnA.includes(id) && !deletedOnB.includes(id)), deletedOnA[0]!, ...newOnB, ...newOnA, ...ephemeral]) });
    assert.deepEqual((await b.ok({ operation: 'delete', database: 'dev', table: 'doc', ids: ephemeral })).deleted_hashes, ephemeral);
    // A and B agree while C is away.
    const expected = [...base.filter((id) => !deletedOnA.includes(id) && !deletedOnB.includes(id)), deletedOnA[0]!, ...newOnB, ...newOnA];
    await waitForConvergence([a, b], 'dev', 'doc', { expectKeys: keysOf(expected) });

    await c.startProcess();
    const state = await waitForConvergence(cluster.nodes, 'dev', 'doc', { expectKeys: keysOf(expected) });
    await waitForVersionsAgree(cluster.nodes, 'dev', 'doc');
    for (const id of updatedOnB) assert.equal(state.get(JSON.stringify(id))!.text, 'updated on B');
    for (const id of newOnB) assert.equal(state.get(JSON.stringify(id))!.text, 'new on B');
    for (const id of newOnA) assert.equal(state.get(JSON.stringify(id))!.text, 'new on A');
    assert.equal(state.get(JSON.stringify(deletedOnA[0]))!.text, 'reborn on A');
    await assertAbsentEverywhere(cluster.nodes, [...deletedOnA.slice(1), ...deletedOnB, ...ephemeral]);

    // No resurrection later either: after more traffic and another restart of C.
    await c.ok({ operation: 'insert', database: 'dev', table: 'doc', records: [{ id: 'marker-1', text: 'from C' }] });
    await waitForConvergence(cluster.nodes, 'dev', 'doc', { expectKeys: keysOf([...expected, 'marker-1']) });
    await c.restart();
    await waitForMesh(cluster.nodes, 'dev');
    await b.ok({ operation: 'insert', database: 'dev', table: 'doc', records: [{ id: 'marker-2', text: 'from B' }] });
    await waitForConvergence(cluster.nodes, 'dev', 'doc', { expectKeys: keysOf([...expected, 'marker-1', 'marker-2']) });
    await assertAbsentEverywhere(cluster.nodes, [...deletedOnA.slice(1), ...deletedOnB, ...ephemeral]);
    await waitForVersionsAgree(cluster.nodes, 'dev', 'doc');
  });

  test('what C missed from A reaches it through B while A is down too', async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await waitForMesh(cluster.nodes, 'dev');
    const before = [...(await waitForConvergence(cluster.nodes, 'dev', 'doc')).keys()];

    await c.stop();
    const relayed = range('relay-a', 6);
    await a.ok({ operation: 'insert', database: 'dev', table: 'doc', records: relayed.map((id) => ({ id, text: 'written on A' })) });
    await a.ok({ operation: 'delete', database: 'dev', table: 'doc', ids: ['marker-1'] });
    await b.ok({ operation: 'upsert', database: 'dev', table: 'doc', records: [{ id: 'relay-b', text: 'written on B' }] });
    const expected = [...before.filter((k) => k !== '"marker-1"'), ...keysOf(relayed), '"relay-b"'];
    // B has all of A's writes before A goes away.
    await waitForConvergence([a, b], 'dev', 'doc', { expectKeys: expected });
    await a.stop();

    await c.startProcess();
    await waitForLink(c, b.host, 'dev');
    await waitForConvergence([b, c], 'dev', 'doc', { expectKeys: expected });
    const cState = await tableState(c, 'dev', 'doc');
    for (const id of relayed) assert.equal(cState.get(JSON.stringify(id))!.text, 'written on A');
    assert.equal(cState.has('"marker-1"'), false);

    await a.startProcess();
    await waitForMesh(cluster.nodes, 'dev');
    await waitForConvergence(cluster.nodes, 'dev', 'doc', { expectKeys: expected });
    await waitForVersionsAgree(cluster.nodes, 'dev', 'doc');
  });
});
