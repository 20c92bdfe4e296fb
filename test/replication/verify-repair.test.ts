/**
 * Issue 9 defect 2, SPEC 4.11: `cluster_verify` with `repair: true` reaches every node and never
 * resurrects a delete. Three nodes where only A–C and B–C are linked (C relays). A's writes to
 * `row` are held back from C with an explicit subscription, so A and {B, C} diverge in a way
 * replication itself never heals (A deleted k1, changed k2, added k4; its log is purged).
 * Repair run on A must: push A's winners to C as ordinary logged writes that C relays to B, keep
 * k1 deleted (A's tombstone beats C's older k1), and say what it changed. Before the fix the
 * repaired copy was neither logged nor relayed (B kept the old rows) and, with the tombstone
 * purged with the log, k1 came back onto A.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitFor, waitForConvergence, waitForLink } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLE = 'row';
const MARKER = 'marker';
const RETENTION = '2s';

interface RepairReport {
  records_pulled: number;
  records_pushed: number;
  deletes_applied: number;
  keys: { pulled: unknown[]; pushed: unknown[]; deleted: unknown[] };
}
interface VerifyResult {
  agree: boolean;
  repair: string;
  tables: Array<{ table: string; agree: boolean; repaired?: RepairReport }>;
}

async function logEntries(node: NodeProcess): Promise<number> {
  const info = await node.ok<{ database_metrics: Record<string, { log_entries: number }> }>({ operation: 'system_information', attributes: ['database_metrics'] });
  return info.database_metrics[DB]?.log_entries ?? 0;
}

describe('cluster_verify repair on A–C–B (relay through C)', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;

  before(async () => {
    // C is the hub; only `dev` replicates (no system, so no gossip: A and B never link).
    cluster = await Cluster.start(3, {
      perNode: (i, hosts) => ({ routes: i === 2 ? [hosts[0]!, hosts[1]!] : [hosts[2]!], databases: [DB], retention: RETENTION }),
    });
    [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await c.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    await c.ok({ operation: 'create_table', database: DB, table: MARKER, primary_key: 'id' });
    for (const leaf of [a, b]) {
      await waitForLink(leaf, c.host, DB);
      await waitForLink(c, leaf.host, DB);
    }
    await waitFor('tables on B', async () => (await b.op({ operation: 'describe_table', database: DB, table: MARKER })).status === 200);
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'k1', n: 1 }, { id: 'k2', n: 1 }, { id: 'k3', n: 1 }] });
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k1"', '"k2"', '"k3"'] });
  });
  after(async () => cluster?.cleanup());

  test('repair pushes A’s changes to C, C relays them to B, k1 stays deleted, and the report says so', async () => {
    // A stops publishing `row` to C (it still sends `marker`), writes, then goes back to everything.
    await a.ok({ operation: 'add_node', hostname: c.host, subscriptions: [
      { database: DB, table: TABLE, publish: false, subscribe: true },
      { database: DB, table: MARKER, publish: true, subscribe: true },
    ] });
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: ['k1'] });
    await a.ok({ operation: 'upsert', database: DB, table: TABLE, records: [{ id: 'k2', n: 2 }, { id: 'k4', n: 1 }] });
    await a.ok({ operation: 'insert', database: DB, table: MARKER, records: [{ id: 'm1' }] });
    // The marker was written after the row changes: once C has it, A's link is past them.
    await waitForConvergence([a, b, c], DB, MARKER, { expectKeys: ['"m1"'] });
    await a.ok({ operation: 'add_node', hostname: c.host, subscriptions: null });
    await waitFor('the log of A to be purged', async () => (await logEntries(a)) === 0, 15_000, 100);
    assert.deepEqual([...(await tableState(b, DB, TABLE)).keys()].sort(), ['"k1"', '"k2"', '"k3"'], 'B and C missed the changes');

    const result = await a.ok<VerifyResult>({ operation: 'cluster_verify', database: DB, table: TABLE, repair: true });
    assert.equal(result.agree, false);
    const report = result.tables.find((t) => t.table === TABLE)?.repaired;
    assert.ok(report, `a repair report for ${TABLE}: ${JSON.stringify(result)}`);
    assert.equal(report.records_pushed, 2, JSON.stringify(report));
    assert.equal(report.deletes_applied, 1, JSON.stringify(report));
    assert.equal(report.records_pulled, 0, JSON.stringify(report));
    assert.deepEqual([...report.keys.pushed].sort(), ['k2', 'k4']);
    assert.deepEqual(report.keys.deleted, ['k1']);

    const state = await waitForConvergence([a, b, c], DB, TABLE, { timeoutMs: 20_000 }).catch(async (error: Error) => {
      const keys = await Promise.all([a, b, c].map(async (n) => [...(await tableState(n, DB, TABLE)).keys()].sort().join(',')));
      throw new Error(`${error.message}: A=[${keys[0]}], B=[${keys[1]}], C=[${keys[2]}]`);
    });
    assert.deepEqual([...state.keys()].sort(), ['"k2"', '"k3"', '"k4"'], 'k1 stays deleted on every node');
    assert.equal(state.get('"k2"')!.n, 2);
    const again = await a.ok<VerifyResult>({ operation: 'cluster_verify', database: DB, table: TABLE });
    assert.equal(again.agree, true, JSON.stringify(again));
    const fromB = await b.ok<VerifyResult>({ operation: 'cluster_verify', database: DB, table: TABLE });
    assert.equal(fromB.agree, true, JSON.stringify(fromB));
  });

  test('repair rejects bad input with 400 naming the field', async () => {
    const response = await a.op({ operation: 'cluster_verify', database: DB, repair: 'yes' });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /repair/);
  });
});
