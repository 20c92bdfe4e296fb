/**
 * SPEC 4.5 initial synchronization: a new node joining a node that holds 100,000 records
 * downloads them from a snapshot, reports progress in cluster_status ("Copying",
 * copy_progress {copied, total}), survives kill -9 in the middle of the copy, and ends with
 * exactly the source's key set and versions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, waitFor, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

const TOTAL = 100_000;
const BATCH = 5_000;
const DB = 'dev';
const TABLE = 'bulk';

const keyOf = (i: number) => `r${String(i).padStart(6, '0')}`;
const EXPECTED_KEYS = Array.from({ length: TOTAL }, (_, i) => keyOf(i)).sort();

interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
}

interface SocketStatus {
  database: string;
  connected: boolean;
  lastReceivedStatus?: string;
  copy_progress?: CopyProgress;
}

/** The socket of `node`'s connection to `peer` for `database` in cluster_status (undefined if none). */
async function socketTo(node: NodeProcess, peer: string, database: string): Promise<SocketStatus | undefined> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: SocketStatus[] }> }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === database);
}

/** Every primary key of the table on `node`, sorted. */
async function sortedKeys(node: NodeProcess): Promise<string[]> {
  const records = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: DB, table: TABLE, attribute: 'id', value: '*', get_attributes: ['id'] });
  return records.map((r) => r.id).sort();
}

const sortById = (records: Array<Record<string, unknown>>) => [...records].sort((x, y) => String(x.id).localeCompare(String(y.id)));

function logLines(node: NodeProcess): Array<Record<string, unknown>> {
  const file = path.join(node.root, 'log', 'hdb.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('initial synchronization of 100,000 records', () => {
  let a: NodeProcess;
  let n: NodeProcess;

  before(async () => {
    a = await startClusterNode();
    await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    for (let start = 0; start < TOTAL; start += BATCH) {
      const records = Array.from({ length: BATCH }, (_, j) => ({ id: keyOf(start + j), n: start + j, batch: start / BATCH, text: `record number ${start + j}` }));
      const body = await a.ok<{ inserted_hashes: unknown[] }>({ operation: 'insert', database: DB, table: TABLE, records });
      assert.equal(body.inserted_hashes.length, BATCH);
    }
    assert.deepEqual(await sortedKeys(a), EXPECTED_KEYS);
    n = await startClusterNode();
  });
  after(async () => {
    await Promise.all([a?.cleanup(), n?.cleanup()]);
  });

  test('the joining node reports Copying with copy_progress, survives kill -9 mid-copy and ends with the exact key set', async () => {
    // N joins A with one-time credentials; A learns N and links every database to it.
    await n.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN });

    // Observe the copy in progress on N: "Copying" with 0 < copied < total.
    const midCopy = await waitFor(
      'N to report the copy in progress',
      async () => {
        const socket = await socketTo(n, a.host, DB);
        const progress = socket?.copy_progress;
        if (!progress || progress.done || !(progress.copied > 0 && progress.copied < progress.total)) return undefined;
        return { status: socket.lastReceivedStatus, progress };
      },
      30_000,
      5,
    );
    assert.equal(midCopy.status, 'Copying');
    assert.equal(midCopy.progress.total, TOTAL);
    assert.equal(midCopy.progress.done, false);

    // kill -9 in the middle of the copy, then restart: the copy starts over and completes.
    await n.kill();
    await n.startProcess();

    const final = await waitFor(
      'N to finish the copy after the restart',
      async () => {
        const socket = await socketTo(n, a.host, DB);
        return socket?.copy_progress?.done ? socket : undefined;
      },
      40_000,
      50,
    );
    const { copied, total, done } = final.copy_progress!;
    assert.deepEqual({ copied, total, done }, { copied: TOTAL, total: TOTAL, done: true });
    assert.notEqual(final.lastReceivedStatus, 'Copying');

    // Exact key set on both nodes, and the same (key, version, origin) digests.
    const [keysA, keysN] = await Promise.all([sortedKeys(a), sortedKeys(n)]);
    assert.deepEqual(keysA, EXPECTED_KEYS);
    assert.deepEqual(keysN, EXPECTED_KEYS);
    await waitForLink(a, n.host, DB);
    await waitForVersionsAgree([a, n], DB, TABLE, 30_000);
    const sample = [keyOf(0), keyOf(12_345), keyOf(TOTAL / 2), keyOf(TOTAL - 1)];
    const [sampleA, sampleN] = await Promise.all(
      [a, n].map((node) => node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_id', database: DB, table: TABLE, ids: sample })),
    );
    assert.equal(sampleN!.length, sample.length);
    assert.deepEqual(sortById(sampleN!), sortById(sampleA!), 'copied records are identical, timestamps included');

    // The copy was logged on both sides (start with the total, completion with the count).
    const received = logLines(n).filter((l) => l.message === 'Receiving database copy' && l.database === DB);
    assert.ok(received.length >= 2, `N logged both copy attempts: ${JSON.stringify(received)}`);
    assert.ok(received.every((l) => l.total === TOTAL));
    assert.ok(
      logLines(n).some((l) => l.message === 'Database copy complete' && l.database === DB && l.records === TOTAL),
      'N logged the completed copy with its record count',
    );
    assert.ok(logLines(a).some((l) => l.message === 'Sending database copy' && l.database === DB && l.total === TOTAL));

    // After the copy, N streams: a new write on A arrives.
    await a.ok({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 'after-copy', n: -1 }] });
    await waitFor('the post-copy write to reach N', async () => (await sortedKeys(n)).includes('after-copy'), 20_000, 100);
    assert.deepEqual(await sortedKeys(n), [...EXPECTED_KEYS, 'after-copy'].sort());
  });
});
