/**
 * Issue 9 defect 2, SPEC 4.6: the tombstone horizon. C is away longer than its peers keep
 * tombstones (replication.tombstoneRetention, short here): a delete made meanwhile is forgotten
 * everywhere, so a merge would bring the row back. C must halt that database's replication
 * (cluster_status shows the link "Halted" with a reason and a since-time, the link stays up,
 * nothing is applied either way), list the rows only it holds (cluster_horizon), and after the
 * user's `drop` or `keep` (cluster_horizon_resolve) replication resumes and converges.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tableState, waitFor, waitForConvergence, type Cluster } from '../support/cluster.ts';
import {
  awayPastHorizon,
  HORIZON_DB as DB,
  HORIZON_TABLE as TABLE,
  HORIZON_TOMBSTONE_RETENTION as TOMBSTONE_RETENTION,
  socketTo,
  startHorizonCluster,
} from '../support/horizon.ts';
import { basicAuth, type NodeProcess } from '../support/node-process.ts';

interface Horizon {
  halted: Array<{ database: string; since: string; reason: string; tables: Array<{ table: string; total: number; rows: Array<{ key: unknown; version: number; origin: string }> }> | null }>;
}

const keys = async (node: NodeProcess) => [...(await tableState(node, DB, TABLE)).keys()].sort();

describe(`a node back past its peers' tombstone horizon (${TOMBSTONE_RETENTION}) halts and lets the user decide`, () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;

  before(async () => {
    cluster = await startHorizonCluster(['k1', 'k2', 'k3']);
    [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  });
  after(async () => cluster?.cleanup());

  test('drop: C halts, shows k1 as its only row, drops it, and all converge on [k2, k3]', async () => {
    await awayPastHorizon(cluster, 'k1');
    const toA = await socketTo(c, a.host);
    assert.equal(toA?.connected, true, 'the held link stays open (no redial loop)');
    assert.match(toA?.halt_reason ?? '', /no longer remembers deletes/);
    assert.ok(toA?.halted_since && Number.isFinite(Date.parse(toA.halted_since)), JSON.stringify(toA));
    await waitFor('C held towards B too', async () => (await socketTo(c, b.host))?.lastReceivedStatus === 'Halted', 20_000, 100);
    await waitFor('A holds its side', async () => (await socketTo(a, c.host))?.lastReceivedStatus === 'Halted', 20_000, 100);
    // Nothing was merged either way.
    assert.deepEqual(await keys(a), ['"k2"', '"k3"']);
    assert.deepEqual(await keys(b), ['"k2"', '"k3"']);
    assert.deepEqual(await keys(c), ['"k1"', '"k2"', '"k3"']);

    const horizon = await c.ok<Horizon>({ operation: 'cluster_horizon' });
    const halted = horizon.halted.find((h) => h.database === DB);
    assert.ok(halted, JSON.stringify(horizon));
    assert.deepEqual(halted.tables?.map((t) => [t.table, t.total, t.rows.map((r) => r.key)]), [[TABLE, 1, ['k1']]]);
    assert.equal(halted.tables?.[0]?.rows[0]?.origin, a.host);

    const resolved = await c.ok<{ rows: number }>({ operation: 'cluster_horizon_resolve', database: DB, action: 'drop' });
    assert.equal(resolved.rows, 1);
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k2"', '"k3"'], timeoutMs: 20_000 });
    await waitFor('C streaming again', async () => {
      const socket = await socketTo(c, a.host);
      return socket?.connected && socket.lastReceivedStatus !== 'Halted';
    }, 20_000, 100);
    assert.deepEqual((await c.ok<Horizon>({ operation: 'cluster_horizon' })).halted, []);
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'k4' }] });
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k2"', '"k3"', '"k4"'] });
  });

  test('keep: C halts again, keeps k2 (written again as new), and it reaches every node', async () => {
    await awayPastHorizon(cluster, 'k2');
    const horizon = await c.ok<Horizon>({ operation: 'cluster_horizon', database: DB });
    assert.deepEqual(horizon.halted[0]?.tables?.[0]?.rows.map((r) => r.key), ['k2']);
    await c.ok({ operation: 'cluster_horizon_resolve', database: DB, action: 'keep' });
    const state = await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k2"', '"k3"', '"k4"'], timeoutMs: 20_000 });
    assert.ok(state.get('"k2"'));
  });

  test('bad input: 400 naming the field; resolve on a database that is not halted: 400', async () => {
    const badAction = await c.op({ operation: 'cluster_horizon_resolve', database: DB, action: 'maybe' });
    assert.equal(badAction.status, 400);
    assert.match(JSON.stringify(badAction.body), /action/);
    const noDatabase = await c.op({ operation: 'cluster_horizon_resolve', action: 'drop' });
    assert.equal(noDatabase.status, 400);
    assert.match(JSON.stringify(noDatabase.body), /database/);
    const notHalted = await c.op({ operation: 'cluster_horizon_resolve', database: DB, action: 'drop' });
    assert.equal(notHalted.status, 400);
    assert.match(JSON.stringify(notHalted.body), /not halted/);
    const unknown = await c.op({ operation: 'cluster_horizon', database: 'nope' });
    assert.equal(unknown.status, 404);
  });

  test('super_user only', async () => {
    await c.ok({ operation: 'add_user', username: 'plain', password: 'pw-plain-1', role: 'user' });
    const auth = basicAuth('plain', 'pw-plain-1');
    for (const body of [{ operation: 'cluster_horizon' }, { operation: 'cluster_horizon_resolve', database: DB, action: 'keep' }]) {
      const response = await c.op(body, auth);
      assert.equal(response.status, 403, `${body.operation}: ${JSON.stringify(response.body)}`);
    }
  });
});
