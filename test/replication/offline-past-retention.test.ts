/**
 * Issue 9 defect 2, SPEC 4.6: a node offline longer than its peers' log retention must not bring
 * deleted records back. C is stopped, A deletes k1, both A's and B's logs are purged past C's
 * position; when C comes back it is resynced from snapshots that still carry the delete's
 * tombstone (tombstones outlive the log), so every node ends with [k2] — before the fix, C kept
 * k1 for ever (A=[k2], B=[k2], C=[k1,k2]).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLE = 'row';
const RETENTION = '2s';

async function logEntries(node: NodeProcess): Promise<number> {
  const info = await node.ok<{ database_metrics: Record<string, { log_entries: number }> }>({ operation: 'system_information', attributes: ['database_metrics'] });
  return info.database_metrics[DB]?.log_entries ?? 0;
}

describe(`a node offline longer than the log retention (${RETENTION}) does not resurrect deletes`, () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;

  before(async () => {
    cluster = await Cluster.start(3, { mesh: true, perNode: () => ({ retention: RETENTION }) });
    [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (const [x, y] of [[a, b], [a, c], [b, c]] as const) {
      await waitForLink(x, y.host, DB);
      await waitForLink(y, x.host, DB);
    }
    await waitFor(`${DB}.${TABLE} on B and C`, async () => {
      const found = await Promise.all([b, c].map((n) => n.op({ operation: 'describe_table', database: DB, table: TABLE })));
      return found.every((r) => r.status === 200);
    });
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'k1' }, { id: 'k2' }] });
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k1"', '"k2"'] });
  });
  after(async () => cluster?.cleanup());

  test('C misses a delete purged from every log; after it comes back all nodes hold [k2]', async () => {
    await c.stop();
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: ['k1'] });
    await waitForConvergence([a, b], DB, TABLE, { expectKeys: ['"k2"'] });
    await waitFor('the logs of A and B to be purged', async () => (await logEntries(a)) === 0 && (await logEntries(b)) === 0, 15_000, 100);
    await c.startProcess();
    await waitForLink(c, a.host, DB);
    await waitForLink(c, b.host, DB);
    const state = await waitForConvergence([a, b, c], DB, TABLE, { timeoutMs: 20_000 }).catch(async (error: Error) => {
      const keys = await Promise.all([a, b, c].map(async (n) => [...(await tableState(n, DB, TABLE)).keys()].sort().join(',')));
      throw new Error(`${error.message}: A=[${keys[0]}], B=[${keys[1]}], C=[${keys[2]}]`);
    });
    assert.deepEqual([...state.keys()], ['"k2"'], 'k1 stays deleted everywhere');
    await waitForVersionsAgree([a, b, c], DB, TABLE);
  });
});

describe('a resync merge relays: chain A–C–B, C away past the log retention', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;

  before(async () => {
    // C is the hub; only `dev` replicates (no gossip), so B reaches A only through C.
    cluster = await Cluster.start(3, {
      perNode: (i, hosts) => ({ routes: i === 2 ? [hosts[0]!, hosts[1]!] : [hosts[2]!], databases: [DB], retention: RETENTION }),
    });
    [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await c.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (const leaf of [a, b]) {
      await waitForLink(leaf, c.host, DB);
      await waitForLink(c, leaf.host, DB);
    }
    await waitFor(`${DB}.${TABLE} on A and B`, async () => (await Promise.all([a, b].map((n) => n.op({ operation: 'describe_table', database: DB, table: TABLE })))).every((r) => r.status === 200));
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'k1' }, { id: 'k2' }] });
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k1"', '"k2"'] });
  });
  after(async () => cluster?.cleanup());

  test('what C merges from A’s snapshot (a new row, a delete) reaches B through C', async () => {
    await c.stop();
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'k3' }] });
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: ['k1'] });
    await waitFor('the log of A to be purged', async () => (await logEntries(a)) === 0, 15_000, 100);
    await c.startProcess();
    await waitForConvergence([a, b, c], DB, TABLE, { expectKeys: ['"k2"', '"k3"'], timeoutMs: 20_000 }).catch(async (error: Error) => {
      const keys = await Promise.all([a, b, c].map(async (n) => [...(await tableState(n, DB, TABLE)).keys()].sort().join(',')));
      throw new Error(`${error.message}: A=[${keys[0]}], B=[${keys[1]}], C=[${keys[2]}]`);
    });
    await waitForVersionsAgree([a, b, c], DB, TABLE);
  });
});
