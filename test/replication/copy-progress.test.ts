/**
 * copy_progress counts what a copy carries: records and tombstones alike. A source with deletes
 * announces a total that includes its tombstones (from the same read transaction the copy
 * reads), so a finished copy shows copied === total, never more.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startClusterNode, waitFor } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

const DB = 'dev';
const TABLE = 'mixed';
const RECORDS = 60;
const DELETED = 15;

let a: NodeProcess;
let n: NodeProcess;
before(async () => {
  a = await startClusterNode();
  n = await startClusterNode();
});
after(async () => {
  await Promise.all([a?.cleanup(), n?.cleanup()]);
});

test('a copy of a table with tombstones ends with copied equal to total', async () => {
  await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
  await a.ok({ operation: 'insert', database: DB, table: TABLE, records: Array.from({ length: RECORDS }, (_, i) => ({ id: `k${i}`, n: i })) });
  const deleted = Array.from({ length: DELETED }, (_, i) => `k${i}`);
  assert.deepEqual((await a.ok<{ deleted_hashes: string[] }>({ operation: 'delete', database: DB, table: TABLE, ids: deleted })).deleted_hashes, deleted);

  await n.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN });
  const progress = await waitFor('N to finish its copy of dev', async () => {
    const status = await n.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; copy_progress?: { copied: number; total: number; done: boolean } }> }> }>({ operation: 'cluster_status' });
    const copy = status.connections.find((c) => c.name === a.host)?.database_sockets.find((s) => s.database === DB)?.copy_progress;
    return copy?.done ? copy : undefined;
  }, 30_000, 100);
  // RECORDS - DELETED live records plus DELETED tombstones.
  assert.deepEqual({ copied: progress.copied, total: progress.total, done: progress.done }, { copied: RECORDS, total: RECORDS, done: true });
  const keys = await n.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: DB, table: TABLE, attribute: 'id', value: '*', get_attributes: ['id'] });
  assert.equal(keys.length, RECORDS - DELETED);
});
