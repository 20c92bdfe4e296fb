/**
 * SPEC 4.9 explicit subscriptions: update_node with subscriptions replaces "everything both
 * ways" for that peer, live. `publish` sends a table to the peer, `subscribe` receives it; a
 * table not listed does not replicate; the peer holds the mirror image.
 *
 * A negative ("X did not arrive") is proven with a positive control written after it on the
 * same link: once the control arrived, X would have too (the log streams in order), and a
 * bounded window has passed as well.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitFor, waitForConvergence, waitForLink } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLES = ['pub', 'sub', 'other'] as const;
type TableName = (typeof TABLES)[number];
/** How long at least a blocked write is given to (wrongly) arrive. */
const NEGATIVE_WINDOW_MS = 1_500;

async function insert(node: NodeProcess, table: TableName, id: string): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: DB, table, records: [{ id, from: node.host }] });
  assert.deepEqual(body.inserted_hashes, [id]);
}

async function keysOf(node: NodeProcess, table: TableName): Promise<string[]> {
  const records = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: DB, table, attribute: 'id', value: '*', get_attributes: ['id'] });
  return records.map((r) => r.id).sort();
}

async function has(node: NodeProcess, table: TableName, id: string): Promise<boolean> {
  return (await keysOf(node, table)).includes(id);
}

/**
 * `blocked` (already written on the sending node) must never reach `receiver`, while `control`
 * (written after it, on a table allowed in the same direction) does.
 */
async function assertBlocked(receiver: NodeProcess, blocked: Array<[TableName, string]>, control: [TableName, string]): Promise<void> {
  const started = Date.now();
  await waitFor(`control ${control.join('.')} to reach ${receiver.host}`, () => has(receiver, ...control), 20_000, 50);
  const remaining = NEGATIVE_WINDOW_MS - (Date.now() - started);
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
  for (const [table, id] of blocked) assert.equal(await has(receiver, table, id), false, `${table}/${id} must not have reached ${receiver.host}`);
}

interface Connection {
  name: string;
  subscriptions: Array<{ database: string; table: string; publish: boolean; subscribe: boolean }> | null;
}

async function connectionTo(node: NodeProcess, peer: string): Promise<Connection | undefined> {
  const status = await node.ok<{ connections: Connection[] }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer);
}

/** The subscriptions `setter` set for `node` (node's own hdb_nodes row, `subscriptions_by_node` keyed by the setter). */
async function subscriptionsSetBy(node: NodeProcess, setter: string): Promise<unknown> {
  const rows = await node.ok<Array<{ name: string; subscriptions_by_node?: Record<string, unknown> | null }>>({ operation: 'search_by_id', database: 'system', table: 'hdb_nodes', ids: [node.host] });
  return rows[0]?.subscriptions_by_node?.[setter];
}

describe('explicit subscriptions between A and B', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;

  before(async () => {
    cluster = await Cluster.start(2, { mesh: true });
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    for (const table of TABLES) await a.ok({ operation: 'create_table', database: DB, table, primary_key: 'id' });
    await waitForLink(a, b.host, DB);
    await waitForLink(b, a.host, DB);
    // Every table exists on both and replicates both ways by default.
    for (const table of TABLES) await waitFor(`${DB}.${table} to exist on B`, async () => (await b.op({ operation: 'describe_table', database: DB, table })).status === 200);
    for (const table of TABLES) {
      await insert(a, table, `${table}-default-a`);
      await insert(b, table, `${table}-default-b`);
    }
    for (const table of TABLES) await waitForConvergence([a, b], DB, table, { expectKeys: [`"${table}-default-a"`, `"${table}-default-b"`] });
  });
  after(async () => cluster?.cleanup());

  test('publish-only and subscribe-only tables flow one way; unlisted tables not at all', async () => {
    const subscriptions = [
      { database: DB, table: 'pub', publish: true, subscribe: false },
      { database: DB, table: 'sub', publish: false, subscribe: true },
    ];
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions });
    assert.deepEqual((await connectionTo(a, b.host))?.subscriptions, subscriptions);
    // B holds the mirror image: its own hdb_nodes row carries what A set, keyed by A.
    await waitFor('B to see the subscriptions A set', async () => JSON.stringify(await subscriptionsSetBy(b, a.host)) === JSON.stringify(subscriptions), 20_000, 50);

    // A → B: pub flows; sub and other do not.
    await insert(a, 'sub', 'sub-a1');
    await insert(a, 'other', 'other-a1');
    await insert(a, 'pub', 'pub-a1');
    await assertBlocked(b, [['sub', 'sub-a1'], ['other', 'other-a1']], ['pub', 'pub-a1']);

    // B → A: sub flows; pub and other do not.
    await insert(b, 'pub', 'pub-b1');
    await insert(b, 'other', 'other-b1');
    await insert(b, 'sub', 'sub-b1');
    await assertBlocked(a, [['pub', 'pub-b1'], ['other', 'other-b1']], ['sub', 'sub-b1']);

    // Exact key sets on both sides.
    assert.deepEqual(await keysOf(a, 'pub'), ['pub-a1', 'pub-default-a', 'pub-default-b']);
    assert.deepEqual(await keysOf(b, 'pub'), ['pub-a1', 'pub-b1', 'pub-default-a', 'pub-default-b']);
    assert.deepEqual(await keysOf(a, 'sub'), ['sub-a1', 'sub-b1', 'sub-default-a', 'sub-default-b']);
    assert.deepEqual(await keysOf(b, 'sub'), ['sub-b1', 'sub-default-a', 'sub-default-b']);
    assert.deepEqual(await keysOf(a, 'other'), ['other-a1', 'other-default-a', 'other-default-b']);
    assert.deepEqual(await keysOf(b, 'other'), ['other-b1', 'other-default-a', 'other-default-b']);
  });

  test('update_node back to publish and subscribe: both ways again, live', async () => {
    const subscriptions = [
      { database: DB, table: 'pub', publish: true, subscribe: true },
      { database: DB, table: 'sub', publish: true, subscribe: true },
    ];
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions });
    assert.deepEqual((await connectionTo(a, b.host))?.subscriptions, subscriptions);
    await waitFor('B to see the new subscriptions', async () => JSON.stringify(await subscriptionsSetBy(b, a.host)) === JSON.stringify(subscriptions), 20_000, 50);

    await insert(b, 'pub', 'pub-b2');
    await insert(a, 'sub', 'sub-a2');
    await insert(a, 'pub', 'pub-a2');
    await insert(b, 'sub', 'sub-b2');
    await waitFor('pub-b2 to reach A and sub-a2 to reach B', async () => (await has(a, 'pub', 'pub-b2')) && (await has(b, 'sub', 'sub-a2')), 20_000, 50);
    await waitFor('pub-a2 to reach B and sub-b2 to reach A', async () => (await has(b, 'pub', 'pub-a2')) && (await has(a, 'sub', 'sub-b2')), 20_000, 50);

    // "other" is still not listed: it stays put in both directions.
    await insert(a, 'other', 'other-a2');
    await insert(b, 'other', 'other-b2');
    await insert(a, 'pub', 'pub-a3');
    await insert(b, 'pub', 'pub-b3');
    await assertBlocked(b, [['other', 'other-a2']], ['pub', 'pub-a3']);
    await assertBlocked(a, [['other', 'other-b2']], ['pub', 'pub-b3']);

    // Writes blocked earlier are not re-sent (no automatic consistency with explicit
    // subscriptions); everything written since the change is on both sides.
    const sinceChange = { pub: ['pub-a2', 'pub-a3', 'pub-b2', 'pub-b3'], sub: ['sub-a2', 'sub-b2'] };
    for (const node of [a, b]) {
      for (const [table, ids] of Object.entries(sinceChange) as Array<[TableName, string[]]>) {
        const present = await keysOf(node, table);
        for (const id of ids) assert.ok(present.includes(id), `${node.host} ${table} lacks ${id}: ${JSON.stringify(present)}`);
      }
    }
    assert.deepEqual(await keysOf(a, 'pub'), ['pub-a1', 'pub-a2', 'pub-a3', 'pub-b2', 'pub-b3', 'pub-default-a', 'pub-default-b']);
    assert.deepEqual(await keysOf(b, 'pub'), ['pub-a1', 'pub-a2', 'pub-a3', 'pub-b1', 'pub-b2', 'pub-b3', 'pub-default-a', 'pub-default-b']);
    assert.deepEqual(await keysOf(a, 'sub'), ['sub-a1', 'sub-a2', 'sub-b1', 'sub-b2', 'sub-default-a', 'sub-default-b']);
    assert.deepEqual(await keysOf(b, 'sub'), ['sub-a2', 'sub-b1', 'sub-b2', 'sub-default-a', 'sub-default-b']);
    assert.deepEqual(await keysOf(a, 'other'), ['other-a1', 'other-a2', 'other-default-a', 'other-default-b']);
    assert.deepEqual(await keysOf(b, 'other'), ['other-b1', 'other-b2', 'other-default-a', 'other-default-b']);
  });

  test('update_node with subscriptions null goes back to everything both ways; cluster_status shows each side its view', async () => {
    // A publishes 'other' without taking it back: B must see the mirror image.
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions: [{ database: DB, table: 'other', publish: true, subscribe: false }] });
    await waitFor('B to see the mirrored subscriptions', async () => {
      const status = await b.ok<{ connections: Array<{ name: string; subscriptions: unknown }> }>({ operation: 'cluster_status' });
      return JSON.stringify(status.connections.find((c) => c.name === a.host)?.subscriptions) === JSON.stringify([{ database: DB, table: 'other', publish: false, subscribe: true }]);
    }, 20_000, 50);
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions: null });
    await insert(a, 'other', 'other-a3');
    await insert(b, 'other', 'other-b3');
    await waitFor('other-a3 on B and other-b3 on A', async () => (await has(b, 'other', 'other-a3')) && (await has(a, 'other', 'other-b3')), 20_000, 50);
    const after = await b.ok<{ connections: Array<{ name: string; subscriptions: unknown }> }>({ operation: 'cluster_status' });
    assert.equal(after.connections.find((c) => c.name === a.host)!.subscriptions, null);
  });
});
