/**
 * SPEC 4.2 what is replicated: a table created with `replicate: false` stays on its node (the
 * peer never gets the table, let alone its records, neither by streaming nor by an initial
 * copy) while the other tables of its database replicate; a database outside
 * `replication.databases` stays on its node entirely.
 *
 * A negative is proven with a positive control written after it: once the control arrived on
 * the peer, the local write would have too (the log streams in order), and a bounded window
 * has passed as well.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, startClusterNode, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

const NEGATIVE_WINDOW_MS = 1_500;

async function insert(node: NodeProcess, database: string, table: string, ids: string[]): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database, table, records: ids.map((id) => ({ id, on: node.host })) });
  assert.deepEqual([...body.inserted_hashes].sort(), [...ids].sort());
}

async function keysOf(node: NodeProcess, database: string, table: string): Promise<string[]> {
  const records = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database, table, attribute: 'id', value: '*', get_attributes: ['id'] });
  return records.map((r) => r.id).sort();
}

async function tableExists(node: NodeProcess, database: string, table: string): Promise<boolean> {
  const response = await node.op({ operation: 'describe_table', database, table });
  if (response.status === 200) return true;
  assert.equal(response.status, 404, JSON.stringify(response.body));
  return false;
}

async function databaseExists(node: NodeProcess, database: string): Promise<boolean> {
  const response = await node.op({ operation: 'describe_database', database });
  if (response.status === 200) return true;
  assert.equal(response.status, 404, JSON.stringify(response.body));
  return false;
}

/** Wait for the control keys on `node`, then at least the rest of the negative window. */
async function afterControl(node: NodeProcess, database: string, table: string, keys: string[], started: number): Promise<void> {
  await waitFor(`${keys.join(', ')} to reach ${node.host}`, async () => {
    const present = await keysOf(node, database, table).catch(() => [] as string[]);
    return keys.every((k) => present.includes(k));
  }, 20_000, 50);
  const remaining = NEGATIVE_WINDOW_MS - (Date.now() - started);
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
}

describe('a table created with replicate: false', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  const joiners: NodeProcess[] = [];

  before(async () => {
    cluster = await Cluster.start(2, { mesh: true });
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'dev', table: 'shared', primary_key: 'id' });
    await waitForLink(a, b.host, 'dev');
    await waitForLink(b, a.host, 'dev');
    await waitFor('dev.shared on B', () => tableExists(b, 'dev', 'shared'));
  });
  after(async () => {
    await Promise.all([cluster?.cleanup(), ...joiners.map((n) => n.cleanup())]);
  });

  test('stays on its node while the other tables of the database replicate', async () => {
    const started = Date.now();
    await a.ok({ operation: 'create_table', database: 'dev', table: 'local', primary_key: 'id', replicate: false });
    const described = await a.ok<{ replicate: boolean }>({ operation: 'describe_table', database: 'dev', table: 'local' });
    assert.equal(described.replicate, false);
    await insert(a, 'dev', 'local', ['local-a1', 'local-a2']);
    await a.ok({ operation: 'update', database: 'dev', table: 'local', records: [{ id: 'local-a1', changed: true }] });
    await a.ok({ operation: 'delete', database: 'dev', table: 'local', ids: ['local-a2'] });
    await insert(a, 'dev', 'shared', ['shared-a1']);
    await insert(b, 'dev', 'shared', ['shared-b1']);

    await afterControl(b, 'dev', 'shared', ['shared-a1'], started);
    assert.equal(await tableExists(b, 'dev', 'local'), false, 'B must not even have the table');
    await waitForConvergence([a, b], 'dev', 'shared', { expectKeys: ['"shared-a1"', '"shared-b1"'] });
    await waitForVersionsAgree([a, b], 'dev', 'shared');
    assert.deepEqual(await keysOf(a, 'dev', 'local'), ['local-a1']);

    // cluster_verify lists only the replicated table.
    const verify = await a.ok<{ tables: Array<{ table: string }> }>({ operation: 'cluster_verify', database: 'dev' });
    assert.deepEqual(verify.tables.map((t) => t.table), ['shared']);
  });

  test('a node-local table of the same name on the peer is its own', async () => {
    const started = Date.now();
    await b.ok({ operation: 'create_table', database: 'dev', table: 'local', primary_key: 'id', replicate: false });
    await insert(b, 'dev', 'local', ['local-b1']);
    await insert(a, 'dev', 'local', ['local-a3']);
    await insert(b, 'dev', 'shared', ['shared-b2']);
    await insert(a, 'dev', 'shared', ['shared-a2']);
    await afterControl(a, 'dev', 'shared', ['shared-b2'], started);
    await afterControl(b, 'dev', 'shared', ['shared-a2'], started);
    assert.deepEqual(await keysOf(a, 'dev', 'local'), ['local-a1', 'local-a3']);
    assert.deepEqual(await keysOf(b, 'dev', 'local'), ['local-b1']);
  });

  test('a node that joins later copies the replicated tables only', async () => {
    const c = await startClusterNode();
    joiners.push(c);
    await c.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN });
    await waitForConvergence([a, b, c], 'dev', 'shared', { expectKeys: ['"shared-a1"', '"shared-a2"', '"shared-b1"', '"shared-b2"'] });
    await waitForVersionsAgree([a, b, c], 'dev', 'shared');
    assert.equal(await tableExists(c, 'dev', 'local'), false);
    assert.deepEqual(await keysOf(a, 'dev', 'local'), ['local-a1', 'local-a3']);
    assert.deepEqual(await keysOf(b, 'dev', 'local'), ['local-b1']);
  });
});

describe('a database outside replication.databases', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;

  before(async () => {
    cluster = await Cluster.start(2, { mesh: true, perNode: () => ({ databases: ['shared'] }) });
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'shared', table: 'item', primary_key: 'id' });
    await waitForLink(a, b.host, 'shared');
    await waitForLink(b, a.host, 'shared');
    await waitFor('shared.item on B', () => tableExists(b, 'shared', 'item'));
  });
  after(async () => cluster?.cleanup());

  test('stays on its node while the listed database replicates', async () => {
    const started = Date.now();
    await a.ok({ operation: 'create_table', database: 'private', table: 'item', primary_key: 'id' });
    await insert(a, 'private', 'item', ['private-a1', 'private-a2']);
    await insert(a, 'shared', 'item', ['shared-a1']);
    await insert(b, 'shared', 'item', ['shared-b1']);
    await afterControl(b, 'shared', 'item', ['shared-a1'], started);
    assert.equal(await databaseExists(b, 'private'), false, 'B must not even have the database');
    await waitForConvergence([a, b], 'shared', 'item', { expectKeys: ['"shared-a1"', '"shared-b1"'] });
    await waitForVersionsAgree([a, b], 'shared', 'item');
    assert.deepEqual(await keysOf(a, 'private', 'item'), ['private-a1', 'private-a2']);

    // No link is made for it, and each node keeps its own database of that name.
    const status = await a.ok<{ connections: Array<{ database_sockets: Array<{ database: string }> }> }>({ operation: 'cluster_status' });
    for (const connection of status.connections) assert.ok(!connection.database_sockets.some((s) => s.database === 'private'), JSON.stringify(connection));
    const started2 = Date.now();
    await b.ok({ operation: 'create_table', database: 'private', table: 'item', primary_key: 'id' });
    await insert(b, 'private', 'item', ['private-b1']);
    await insert(b, 'shared', 'item', ['shared-b2']);
    await afterControl(a, 'shared', 'item', ['shared-b2'], started2);
    assert.deepEqual(await keysOf(a, 'private', 'item'), ['private-a1', 'private-a2']);
    assert.deepEqual(await keysOf(b, 'private', 'item'), ['private-b1']);
  });
});
