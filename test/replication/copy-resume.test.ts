/**
 * Issue 13 item 4: an initial copy resumes after the receiver is killed (-9) mid-copy, from the
 * last committed key (not from zero), and nothing is lost: records written on the sender during
 * the copy and while the receiver is down arrive, deletes made then are not resurrected. When
 * the sender's log no longer reaches back to the copy's start, the sender refuses the resume
 * and sends the whole copy again, with the same outcome.
 *
 * Determinism: the receiver commits every PEERDESK_TEST_COPY_COMMIT_ITEMS items, and the kill
 * happens while the SENDER is frozen (SIGSTOP) with most of the table (tens of MB, more than the
 * loopback socket buffers hold) not yet sent, so the copy cannot finish before the kill.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { TEST_COPY_COMMIT_ITEMS_ENV } from '../../node-core/replication/copy-receive.ts';
import { startClusterNode, waitFor, waitForConvergence, type ClusterNodeOptions } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLE = 'big';
const TOTAL = 40_000;
const BATCH = 4_000;
/** ~600 B per record: the table is ~24 MB, far more than a loopback connection buffers. */
const PADDING = 'p'.repeat(600);
const COMMIT_ITEMS = 500;
const keyOf = (i: number) => `k${String(i).padStart(6, '0')}`;

interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
  records_per_s: number | null;
  eta_s: number | null;
  resumed_from: number;
}

async function copyProgress(node: NodeProcess, peer: string): Promise<CopyProgress | undefined> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; copy_progress?: CopyProgress }> }> }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === DB)?.copy_progress;
}

function logged(node: NodeProcess, message: string): Array<Record<string, unknown>> {
  const file = path.join(node.root, 'log', 'hdb.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message && line.database === DB);
}

async function seededSource(options: ClusterNodeOptions = {}): Promise<NodeProcess> {
  const a = await startClusterNode(options);
  await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
  for (let start = 0; start < TOTAL; start += BATCH) {
    const records = Array.from({ length: BATCH }, (_, j) => ({ id: keyOf(start + j), n: start + j, pad: PADDING }));
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records });
  }
  return a;
}

/**
 * add_node from a fresh joiner, wait until it committed part of the copy, write on the source
 * (`during`), freeze the source, kill -9 the joiner, thaw the source. Returns the progress seen.
 */
async function killMidCopy(a: NodeProcess, n: NodeProcess, during: () => Promise<void>): Promise<CopyProgress> {
  await n.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN });
  const seen = await waitFor('the joiner to commit part of the copy', async () => {
    const progress = await copyProgress(n, a.host);
    return progress && !progress.done && progress.copied > 0 ? progress : undefined;
  }, 60_000, 5);
  await during();
  a.pause();
  try {
    const frozen = await copyProgress(n, a.host);
    assert.ok(frozen && !frozen.done && frozen.copied < frozen.total, `the copy is still partial when the joiner is killed: ${JSON.stringify(frozen)}`);
    await n.kill();
  } finally {
    a.resume();
  }
  return seen;
}

describe('an initial copy killed mid-way resumes from its last committed key', () => {
  const nodes: NodeProcess[] = [];
  after(async () => {
    await Promise.all(nodes.map((node) => node.cleanup()));
  });

  test('resumed, not restarted: writes and deletes during the copy and while the joiner is down all arrive', async () => {
    const a = await seededSource();
    nodes.push(a);
    const n = await startClusterNode({ env: { [TEST_COPY_COMMIT_ITEMS_ENV]: String(COMMIT_ITEMS) } });
    nodes.push(n);
    // Keys below 100 are copied before the kill (the copy sends keys in order and commits every 500).
    const deletedEarly = [keyOf(10), keyOf(11), keyOf(TOTAL - 1)];
    const deletedWhileDown = [keyOf(12), keyOf(TOTAL - 2)];
    await killMidCopy(a, n, async () => {
      await a.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: keyOf(1), n: -1 }, { id: keyOf(TOTAL - 3), n: -3 }] });
      await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'a-during', n: 0 }, { id: 'z-during', n: 0 }] });
      await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: deletedEarly });
    });
    await a.ok({ operation: 'update', database: DB, table: TABLE, records: [{ id: keyOf(2), n: -2 }] });
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'a-down', n: 0 }, { id: 'z-down', n: 0 }] });
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: deletedWhileDown });

    await n.startProcess();
    const done = await waitFor('the resumed copy to finish', async () => {
      const progress = await copyProgress(n, a.host);
      return progress?.done ? progress : undefined;
    }, 60_000, 50);
    const state = await waitForConvergence([a, n], DB, TABLE, { timeoutMs: 60_000 });
    assert.equal(state.size, TOTAL + 4 - deletedEarly.length - deletedWhileDown.length);
    for (const key of [...deletedEarly, ...deletedWhileDown]) assert.equal(state.has(JSON.stringify(key)), false, `${key} stays deleted`);
    assert.equal(state.get(JSON.stringify(keyOf(1)))?.n, -1);
    assert.equal(state.get(JSON.stringify(keyOf(2)))?.n, -2);
    assert.equal(state.get(JSON.stringify(keyOf(TOTAL - 3)))?.n, -3);

    // Resumed after what was committed: the joiner asked, the source sent only the rest.
    assert.ok(done.resumed_from >= COMMIT_ITEMS, `resumed from a committed batch: ${JSON.stringify(done)}`);
    assert.equal(done.copied, done.total);
    const sends = logged(a, 'Sending database copy');
    const resumedSend = sends.find((line) => line.resumedAfter !== undefined);
    assert.ok(resumedSend, `the source resumed the copy: ${JSON.stringify(sends)}`);
    assert.equal(resumedSend.total, done.total - done.resumed_from, 'the resumed copy sends only what the joiner did not commit');
    assert.ok((resumedSend.total as number) < TOTAL, 'fewer items than a copy from zero');
    const receives = logged(n, 'Receiving database copy');
    assert.equal(receives.at(-1)?.resumedFrom, done.resumed_from);
  });

  test('a source whose log was purged past the copy start refuses the resume and sends the whole copy', async () => {
    const a = await seededSource({ retention: '2s' });
    nodes.push(a);
    const n = await startClusterNode({ env: { [TEST_COPY_COMMIT_ITEMS_ENV]: String(COMMIT_ITEMS) } });
    nodes.push(n);
    await killMidCopy(a, n, async () => {
      await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: [keyOf(3)] });
    });
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'a-down', n: 0 }] });
    await a.ok({ operation: 'delete', database: DB, table: TABLE, ids: [keyOf(4)] });
    // Retention purges those entries (and the copy's start) from the source's log.
    await waitFor('the source log to be purged', async () => {
      const info = await a.ok<{ database_metrics: Record<string, { log_entries: number }> }>({ operation: 'system_information', attributes: ['database_metrics'] });
      return info.database_metrics[DB]!.log_entries === 0;
    }, 30_000, 100);

    await n.startProcess();
    const done = await waitFor('the whole copy to finish', async () => {
      const progress = await copyProgress(n, a.host);
      return progress?.done ? progress : undefined;
    }, 60_000, 50);
    assert.equal(done.resumed_from, 0, 'copied from the beginning');
    const state = await waitForConvergence([a, n], DB, TABLE, { timeoutMs: 60_000 });
    assert.equal(state.size, TOTAL + 1 - 2);
    assert.equal(state.has(JSON.stringify(keyOf(3))), false);
    assert.equal(state.has(JSON.stringify(keyOf(4))), false);
    assert.ok(logged(a, 'Copy resume refused: the log no longer reaches back to its start; sending the whole copy').length >= 1);
  });
});
