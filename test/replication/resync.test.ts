/**
 * SPEC 4.6 resynchronization: a node away longer than its peer's log retention ("2s" here)
 * cannot be streamed what it missed (the log was purged past its position); it resyncs by
 * merging a snapshot under the conflict rule, and rows that exist only on it are kept and
 * reach the peer too: both end with the union, with the same versions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLE = 'row';
const RETENTION = '2s';

const range = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
const quoted = (keys: string[]) => keys.map((k) => JSON.stringify(k));

async function insert(node: NodeProcess, ids: string[], extra: Record<string, unknown> = {}): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: DB, table: TABLE, records: ids.map((id) => ({ id, on: node.host, ...extra })) });
  assert.equal(body.inserted_hashes.length, ids.length);
}

async function logEntries(node: NodeProcess): Promise<number> {
  const info = await node.ok<{ database_metrics: Record<string, { log_entries: number }> }>({ operation: 'system_information', attributes: ['database_metrics'] });
  return info.database_metrics[DB]!.log_entries;
}

/** Wait until retention purged every entry of the dev log on `node` (so any peer position is past). */
async function waitForPurge(node: NodeProcess): Promise<void> {
  await waitFor(`the ${DB} log of ${node.host} to be purged`, async () => (await logEntries(node)) === 0, 15_000, 100);
}

/** Log lines of a node's hdb.log with the given message. */
function logged(node: NodeProcess, message: string): Array<Record<string, unknown>> {
  const file = path.join(node.root, 'log', 'hdb.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === message && l.database === DB);
}

describe(`resynchronization after an absence longer than the log retention (${RETENTION})`, () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  const base = [...range('base-a', 10), ...range('base-b', 10)];
  let expected: string[] = [];

  before(async () => {
    cluster = await Cluster.start(2, { mesh: true, perNode: () => ({ retention: RETENTION }) });
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    await waitForLink(a, b.host, DB);
    await waitForLink(b, a.host, DB);
    await waitFor(`${DB}.${TABLE} on B`, async () => (await b.op({ operation: 'describe_table', database: DB, table: TABLE })).status === 200);
    await insert(a, range('base-a', 10));
    await insert(b, range('base-b', 10));
    expected = [...base];
    await waitForConvergence([a, b], DB, TABLE, { expectKeys: quoted(expected) });
  });
  after(async () => cluster?.cleanup());

  test('B, stopped while A writes and purges its log, gets everything it missed', async () => {
    await b.stop();
    const awayA = range('away-a', 60);
    for (let i = 0; i < awayA.length; i += 20) await insert(a, awayA.slice(i, i + 20));
    await a.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'base-b-000', on: 'updated on A while B was away' }] });
    await waitForPurge(a);

    const resyncsBefore = logged(a, 'Sending database copy').filter((l) => l.kind === 'resync').length;
    await b.startProcess();
    expected = [...expected, ...awayA];
    const state = await waitForConvergence([a, b], DB, TABLE, { expectKeys: quoted(expected) });
    assert.equal(state.get('"base-b-000"')!.on, 'updated on A while B was away');
    await waitForVersionsAgree([a, b], DB, TABLE);
    // It was a resync from a snapshot (the log no longer had what B missed), not streaming.
    const resyncs = logged(a, 'Sending database copy').filter((l) => l.kind === 'resync');
    assert.ok(resyncs.length > resyncsBefore, `A sent B a resync copy: ${JSON.stringify(resyncs)}`);

    // Streaming resumes after the resync.
    await insert(b, ['after-resync-b']);
    await insert(a, ['after-resync-a']);
    expected = [...expected, 'after-resync-a', 'after-resync-b'];
    await waitForConvergence([a, b], DB, TABLE, { expectKeys: quoted(expected) });
  });

  test("rows only B has (written while A was down) are kept and reach A; A's new rows reach B", async () => {
    await a.stop();
    const onlyB = range('only-b', 30);
    await insert(b, onlyB.slice(0, 15));
    await insert(b, onlyB.slice(15));
    await b.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'base-a-000', on: 'updated on B while A was down' }] });
    // B's log too is purged past A's position: B's rows survive only in B's tables.
    await waitForPurge(b);
    await b.stop();

    await a.startProcess();
    const newA = range('new-a', 40);
    await insert(a, newA.slice(0, 20));
    await insert(a, newA.slice(20));
    await a.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: 'base-b-001', on: 'updated on A while B was down' }] });
    await waitForPurge(a);

    const resyncsFromA = logged(a, 'Sending database copy').filter((l) => l.kind === 'resync').length;
    const resyncsFromB = logged(b, 'Sending database copy').filter((l) => l.kind === 'resync').length;
    await b.startProcess();
    expected = [...expected, ...onlyB, ...newA];
    const state = await waitForConvergence([a, b], DB, TABLE, { expectKeys: quoted(expected) }).catch(async (error) => {
      const [ka, kb] = await Promise.all([a, b].map(async (n) => (await n.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: DB, table: TABLE, attribute: 'id', value: '*', get_attributes: ['id'] })).map((r) => r.id)));
      const want = new Set(expected);
      throw new Error(`${(error as Error).message}; A lacks ${JSON.stringify([...want].filter((k) => !ka!.includes(k)))}, B lacks ${JSON.stringify([...want].filter((k) => !kb!.includes(k)))}`);
    });
    assert.equal(state.get('"base-a-000"')!.on, 'updated on B while A was down');
    assert.equal(state.get('"base-b-001"')!.on, 'updated on A while B was down');
    assert.equal(state.get('"only-b-007"')!.on, b.host);
    await waitForVersionsAgree([a, b], DB, TABLE);
    // Both directions went by snapshot merge: neither log still had what the other missed.
    assert.ok(logged(a, 'Sending database copy').filter((l) => l.kind === 'resync').length > resyncsFromA, 'A sent B a resync copy');
    assert.ok(logged(b, 'Sending database copy').filter((l) => l.kind === 'resync').length > resyncsFromB, 'B sent A a resync copy');
  });

  test('B stalled while still linked (SIGSTOP) past the retention: A resyncs it on the live link', async () => {
    await waitForLink(a, b.host, DB);
    await waitForLink(b, a.host, DB);
    b.pause();
    try {
      // One transaction per request: more frames than A sends unacknowledged, so most of
      // them are still only in A's log when retention purges it.
      const stalled = range('stalled', 40);
      for (const id of stalled) await insert(a, [id]);
      expected = [...expected, ...stalled];
      await waitForPurge(a);
    } finally {
      b.resume();
    }
    await waitForConvergence([a, b], DB, TABLE, { expectKeys: quoted(expected) });
    await waitForVersionsAgree([a, b], DB, TABLE);
    // The link stayed up (B was frozen for less than the pong timeout): A found the gap itself.
    const file = path.join(a.root, 'log', 'hdb.log');
    const warnings = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(warnings.some((l) => l.message === 'Peer is behind the purged log: resyncing it' && l.peer === b.host), 'A resynced B on the open link');
  });
});
