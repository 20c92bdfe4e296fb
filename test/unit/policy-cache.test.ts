/**
 * node-core/replication/policy-cache.ts against real LMDB storage: a link policy is computed
 * once per peer and database and reused, until a commit to hdb_nodes (logged, replicated or a
 * copy's unlogged merge) forgets it, so the next answer reads the new rows; writes to other
 * tables keep it; after dispose every answer is computed afresh.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import type { LinkPolicy } from '../../node-core/replication/link.ts';
import { NODES_TABLE } from '../../node-core/replication/membership.ts';
import { MAX_CACHED_POLICIES, PolicyCache } from '../../node-core/replication/policy-cache.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-policy-cache-'));
const storage = Storage.open(root, { nodeName: 'local-node', clock: new HybridLogicalClock() });
after(async () => {
  await storage.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('policies are computed once until hdb_nodes changes, and read the new rows then', async () => {
  const system = storage.createDatabase('system');
  await system.createTable({ name: NODES_TABLE, primaryKey: 'name', attributes: ['name'], replicate: true }, { user: null });
  await system.createTable({ name: 'other', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  const nodes = system.requireTable(NODES_TABLE);
  let computed = 0;
  // The policy the rows say: publish only the tables the peer's row lists.
  const compute = (peer: string): LinkPolicy => {
    computed++;
    const tables = (nodes.get(peer)?.tables as string[] | undefined) ?? [];
    return { publishes: (table) => tables.includes(table), subscribes: () => true };
  };
  const cache = new PolicyCache(compute, system);
  const put = (table: string, record: Record<string, unknown>, key: string) =>
    system.transact((tx) => writeRecords(tx, tx.table(table), [record], [key], 'upsert'), { user: null });

  await put(NODES_TABLE, { name: 'peer-a', tables: ['dogs'] }, 'peer-a');
  assert.equal(cache.get('peer-a', 'dev').publishes('dogs'), true);
  assert.equal(cache.get('peer-a', 'dev').publishes('cats'), false);
  assert.equal(computed, 1, 'the second answer is the remembered one');
  cache.get('peer-a', 'other-db');
  cache.get('peer-b', 'dev');
  assert.equal(computed, 3, 'one policy per peer and database');

  await put('other', { id: 'x' }, 'x');
  cache.get('peer-a', 'dev');
  assert.equal(computed, 3, 'a write to another table keeps the policies');

  await put(NODES_TABLE, { name: 'peer-a', tables: ['cats'] }, 'peer-a');
  assert.equal(cache.get('peer-a', 'dev').publishes('cats'), true, 'the changed row is read as soon as its write resolved');
  assert.equal(cache.get('peer-a', 'dev').publishes('dogs'), false);
  assert.equal(computed, 4);

  // A copy's merge writes without a log entry and reports the table itself.
  await system.writeUnlogged(() => nodes.writeRecord('peer-a', { name: 'peer-a', tables: [] }, Date.now(), 'peer-node'));
  system.notifyTablesChanged([NODES_TABLE]);
  assert.equal(cache.get('peer-a', 'dev').publishes('cats'), false);

  cache.dispose();
  const before = computed;
  cache.get('peer-a', 'dev');
  cache.get('peer-a', 'dev');
  assert.equal(computed, before + 2, 'after dispose nothing is remembered');
});

test('the cache stays bounded whatever names peers give', () => {
  const system = storage.database('system')!;
  let computed = 0;
  const cache = new PolicyCache(() => {
    computed++;
    return { publishes: () => true, subscribes: () => true };
  }, system);
  for (let i = 0; i <= MAX_CACHED_POLICIES; i++) cache.get(`peer-${i}`, 'dev');
  const after = computed;
  cache.get(`peer-${MAX_CACHED_POLICIES}`, 'dev');
  assert.equal(computed, after, 'the newest survives the clearing');
  cache.get('peer-0', 'dev');
  assert.equal(computed, after + 1, 'the oldest was forgotten');
  cache.dispose();
});
