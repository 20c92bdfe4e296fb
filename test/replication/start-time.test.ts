/**
 * SPEC 4.5 start_time: add_node with start_time (ISO-8601 or epoch ms) skips the initial copy;
 * the new node gets exactly the records written after that time, and later writes flow both
 * ways as usual.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, tableState, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';
import { sleep } from '../support/ops.ts';

const DB = 'dev';
const TABLE = 'events';

async function sortedKeys(node: NodeProcess): Promise<string[]> {
  const records = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: DB, table: TABLE, attribute: 'id', value: '*', get_attributes: ['id'] });
  return records.map((r) => r.id).sort();
}

async function hasKey(node: NodeProcess, key: string): Promise<boolean> {
  const response = await node.op<Array<{ id: string }>>({ operation: 'search_by_id', database: DB, table: TABLE, ids: [key], get_attributes: ['id'] });
  return response.status === 200 && response.body.length === 1;
}

async function write(node: NodeProcess, keys: string[]): Promise<void> {
  const body = await node.ok<{ inserted_hashes: string[] }>({ operation: 'insert', database: DB, table: TABLE, records: keys.map((id) => ({ id, from: node.host })) });
  assert.deepEqual(body.inserted_hashes.sort(), [...keys].sort());
}

const range = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

/**
 * A moment between two groups of writes. The pauses only separate the writes in time (versions
 * are wall-clock milliseconds), they assert nothing.
 */
async function boundary(): Promise<number> {
  await sleep(20);
  const t = Date.now();
  await sleep(20);
  return t;
}

describe('add_node with start_time', () => {
  let a: NodeProcess;
  const joiners: NodeProcess[] = [];
  const old1 = range('old1', 40);
  const new1 = range('new1', 25);

  before(async () => {
    a = await startClusterNode();
    await a.ok({ operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' });
    await write(a, old1.slice(0, 20));
    await write(a, old1.slice(20));
  });
  after(async () => {
    await Promise.all([a?.cleanup(), ...joiners.map((n) => n.cleanup())]);
  });

  test('ISO-8601 start_time: only records written after it arrive, then writes flow both ways', async () => {
    const t = await boundary();
    await write(a, new1.slice(0, 10));
    await write(a, new1.slice(10));

    const n = await startClusterNode();
    joiners.push(n);
    await n.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN, start_time: new Date(t).toISOString() });
    await waitForLink(n, a.host, DB);
    await waitForLink(a, n.host, DB);

    // Exactly the records written after T; none of the older ones.
    await waitFor('N to receive the records written after T', async () => JSON.stringify(await sortedKeys(n)) === JSON.stringify([...new1].sort()), 20_000, 100).catch(async (error) => {
      throw new Error(`${(error as Error).message}; N has ${JSON.stringify(await sortedKeys(n))}`);
    });
    for (const key of old1) assert.equal(await hasKey(n, key), false, `${key} was written before start_time`);

    // No copy was made on that link.
    const status = await n.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; copy_progress?: unknown }> }> }>({ operation: 'cluster_status' });
    const socket = status.connections.find((c) => c.name === a.host)!.database_sockets.find((s) => s.database === DB)!;
    assert.equal(socket.copy_progress, undefined, JSON.stringify(socket));

    // Later writes flow normally, both ways.
    await write(a, ['later-a']);
    await write(n, ['later-n']);
    await waitFor('later-n to reach A', () => hasKey(a, 'later-n'), 20_000, 100);
    await waitFor('later-a to reach N', () => hasKey(n, 'later-a'), 20_000, 100);
    assert.deepEqual(await sortedKeys(n), [...new1, 'later-a', 'later-n'].sort());
    assert.deepEqual(await sortedKeys(a), [...old1, ...new1, 'later-a', 'later-n'].sort());
  });

  test('epoch-milliseconds start_time works the same way', async () => {
    const t = await boundary();
    const new2 = range('new2', 15);
    await write(a, new2);

    const n2 = await startClusterNode();
    joiners.push(n2);
    await n2.ok({ operation: 'add_node', hostname: a.host, authorization: ADMIN, start_time: t });
    await waitForLink(n2, a.host, DB);

    await waitFor('N2 to receive the records written after T2', async () => JSON.stringify(await sortedKeys(n2)) === JSON.stringify([...new2].sort()), 20_000, 100).catch(async (error) => {
      throw new Error(`${(error as Error).message}; N2 has ${JSON.stringify(await sortedKeys(n2))}`);
    });
    for (const key of [...old1, ...new1, 'later-a', 'later-n']) assert.equal(await hasKey(n2, key), false, `${key} was written before start_time`);

    // N2 learns N by gossip (hdb_nodes is not cut by start_time) and links to it directly;
    // that link too streams only what came after T2, so N2 still has nothing older.
    const n = joiners[0]!;
    await waitForLink(n2, n.host, DB);
    await waitForLink(n, n2.host, DB);

    // Later writes from any node reach every node.
    await write(n2, ['later-n2']);
    await write(a, ['later-a2']);
    await write(n, ['later-n3']);
    const expectedN2 = [...new2, 'later-n2', 'later-a2', 'later-n3'].sort();
    const expectedN = [...new1, 'later-a', 'later-n', ...expectedN2].sort();
    const expectedA = [...old1, ...expectedN].sort();
    await waitFor('later writes to reach every node', async () => {
      const [ka, kn, kn2] = await Promise.all([sortedKeys(a), sortedKeys(n), sortedKeys(n2)]);
      return JSON.stringify([ka, kn, kn2]) === JSON.stringify([expectedA, expectedN, expectedN2]);
    }, 20_000, 100).catch(async (error) => {
      throw new Error(`${(error as Error).message}; A ${JSON.stringify(await sortedKeys(a))}; N ${JSON.stringify(await sortedKeys(n))}; N2 ${JSON.stringify(await sortedKeys(n2))}`);
    });
    for (const key of [...old1, ...new1, 'later-a', 'later-n']) assert.equal(await hasKey(n2, key), false, `${key} was written before start_time`);

    // What each joiner holds is identical to A's copy of it, timestamps included.
    const stateA = await tableState(a, DB, TABLE);
    for (const node of [n, n2]) {
      const state = await tableState(node, DB, TABLE);
      for (const [key, record] of state) assert.deepEqual(record, stateA.get(key), `${node.host} ${key}`);
    }
  });
});
