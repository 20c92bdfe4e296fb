/**
 * Sharding (SPEC 4.10, issue 12), five real nodes in two shards (A, B, C in shard 1; D, E in
 * shard 2). `fleet` is `{sharded: true}`: it replicates only within its shard. `spread` is
 * `{replicateTo: 2}`: each record on its origin and two others by the rendezvous rule of
 * node-core/replication/sharding.ts, which the test computes itself to check every node's count.
 * Reads work from every node, fail over when a holder is killed, and 502 naming the nodes tried
 * when none can answer; a removed node's records are re-homed to three holders again;
 * replicatedConfirmation waits for its peers or times out saying how many confirmed; bad input
 * is refused with 400 naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chooseHolders, rehomedHolders } from '../../node-core/replication/sharding.ts';
import { startClusterNode, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';

const DATABASES = JSON.stringify([{ name: 'fleet', sharded: true }, { name: 'spread', replicateTo: 2 }]);
const RECORDS = 30;
const keys = Array.from({ length: RECORDS }, (_, i) => `k${i}`);

interface Describe {
  record_count: number;
  sharding: { sharded: boolean; replicateTo: number | null } | null;
  record_count_by_node: Record<string, number>;
  record_count_errors?: Record<string, string>;
}
interface Status {
  shard: number | null;
  connections: Array<{ name: string; shard?: number; database_sockets: Array<{ database: string; connected: boolean; lastError?: string; bytes_sent?: number; bytes_received?: number }> }>;
  sharding: Array<{ database: string; sharded: boolean; replicateTo: number | null; tables: Array<{ table: string; record_count: number; known_count: number }> }>;
}

const describeTable = (node: NodeProcess, database: string, table: string) => node.ok<Describe>({ operation: 'describe_table', database, table });

/** Expected stored count per node when each key is held by `holdersOf(key)`. */
function expectedCounts(names: string[], holdersOf: (key: string) => string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const key of keys) for (const holder of holdersOf(key)) counts[holder] = (counts[holder] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

describe('sharding: five nodes in two shards', () => {
  let nodes: NodeProcess[] = [];
  let a: NodeProcess, b: NodeProcess, c: NodeProcess, d: NodeProcess, e: NodeProcess;
  const shardOf = (i: number) => (i < 3 ? 1 : 2);
  /** holders of each spread.item key as the test expects them (written at A, one updated at E) */
  const holdersNow = new Map<string, string[]>();

  before(async () => {
    const hosts = Array.from({ length: 5 }, () => freshLoopbackAddress());
    nodes = await Promise.all(hosts.map((host, i) => startClusterNode({ host, args: [`--REPLICATION_DATABASES=${DATABASES}`, `--REPLICATION_SHARD=${shardOf(i)}`] })));
    [a, b, c, d, e] = nodes as [NodeProcess, NodeProcess, NodeProcess, NodeProcess, NodeProcess];
    for (const node of [a, d]) await node.ok({ operation: 'create_table', database: 'fleet', table: 'ship', primary_key: 'id' });
    for (const table of ['item', 'solo', 'confirm']) await a.ok({ operation: 'create_table', database: 'spread', table, primary_key: 'id' });
    for (const peer of [b, c, d, e]) await a.ok({ operation: 'add_node', hostname: peer.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    // Gossip links everyone for system and spread; fleet only within each shard.
    for (const node of nodes) {
      for (const peer of nodes) {
        if (peer === node) continue;
        await waitForLink(node, peer.host, 'spread', 30_000);
        if (shardOf(nodes.indexOf(node)) === shardOf(nodes.indexOf(peer))) await waitForLink(node, peer.host, 'fleet', 30_000);
      }
    }
  });
  after(async () => Promise.all(nodes.map((n) => n.cleanup())));

  test('cluster_status shows each node’s shard and the sharding settings', async () => {
    const status = await a.ok<Status>({ operation: 'cluster_status' });
    assert.equal(status.shard, 1);
    assert.equal(status.connections.find((conn) => conn.name === d.host)?.shard, 2);
    assert.equal(status.connections.find((conn) => conn.name === b.host)?.shard, 1);
    const fleet = status.sharding.find((s) => s.database === 'fleet');
    assert.deepEqual([fleet?.sharded, fleet?.replicateTo], [true, null]);
    const spread = status.sharding.find((s) => s.database === 'spread');
    assert.deepEqual([spread?.sharded, spread?.replicateTo], [false, 2]);
    const socket = status.connections.find((conn) => conn.name === b.host)?.database_sockets.find((s) => s.database === 'spread');
    assert.ok((socket?.bytes_sent ?? 0) > 0 && (socket?.bytes_received ?? 0) > 0, `byte counters: ${JSON.stringify(socket)}`);
  });

  test('a sharded database stays within its shard', async () => {
    await a.ok({ operation: 'insert', database: 'fleet', table: 'ship', records: [{ id: 's1', from: 'shard 1' }] });
    await d.ok({ operation: 'insert', database: 'fleet', table: 'ship', records: [{ id: 's2', from: 'shard 2' }] });
    for (const node of [b, c]) {
      await waitFor(`${node.host} to have s1`, async () => (await node.ok<unknown[]>({ operation: 'search_by_id', database: 'fleet', table: 'ship', ids: ['s1'] })).length === 1);
    }
    await waitFor('e to have s2', async () => (await e.ok<unknown[]>({ operation: 'search_by_id', database: 'fleet', table: 'ship', ids: ['s2'] })).length === 1);
    // Across shards there is no link for fleet at all, and cluster_status says why.
    const status = await a.ok<Status>({ operation: 'cluster_status' });
    for (const peer of [d, e]) {
      const socket = status.connections.find((conn) => conn.name === peer.host)?.database_sockets.find((s) => s.database === 'fleet');
      assert.equal(socket?.connected, false);
      assert.match(socket?.lastError ?? '', /sharded.*shard 2/);
    }
    for (const node of [a, b, c]) assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'fleet', table: 'ship', ids: ['s2'] }), []);
    for (const node of [d, e]) assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'fleet', table: 'ship', ids: ['s1'] }), []);
  });

  test('replicateTo: 2 puts every record on exactly three nodes, and reads work from every node', async () => {
    await a.ok({ operation: 'insert', database: 'spread', table: 'item', records: keys.map((id, i) => ({ id, n: i })) });
    const names = nodes.map((n) => n.host);
    for (const key of keys) holdersNow.set(key, chooseHolders(key, a.host, names, 2));
    const expected = expectedCounts(names, (key) => holdersNow.get(key)!);
    await waitFor('every node to store what the rule says', async () => {
      const described = await describeTable(a, 'spread', 'item');
      return JSON.stringify(described.record_count_by_node) === JSON.stringify(expected) ? described : undefined;
    });
    const described = await describeTable(c, 'spread', 'item');
    assert.deepEqual(described.sharding, { sharded: false, replicateTo: 2 });
    assert.equal(Object.values(described.record_count_by_node).reduce((x, y) => x + y, 0), RECORDS * 3);
    // Holders and stub keepers know of the same writes: cluster_verify's digests agree.
    await waitFor('cluster_verify to agree on spread.item', async () => (await a.ok<{ agree: boolean }>({ operation: 'cluster_verify', database: 'spread', table: 'item' })).agree);
    for (const node of nodes) {
      await waitFor(`${node.host} to know of every record`, async () => {
        const status = await node.ok<Status>({ operation: 'cluster_status' });
        return status.sharding.find((s) => s.database === 'spread')?.tables.find((t) => t.table === 'item')?.known_count === RECORDS;
      });
      const byId = await node.ok<Array<{ id: string; n: number }>>({ operation: 'search_by_id', database: 'spread', table: 'item', ids: keys });
      assert.deepEqual(byId.map((r) => r.id).sort(), [...keys].sort(), `search_by_id on ${node.host}`);
      const byValue = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: 'spread', table: 'item', attribute: 'id', value: '*' });
      assert.equal(byValue.length, RECORDS, `search_by_value on ${node.host}`);
      const conditions = await node.ok<Array<{ id: string }>>({ operation: 'search_by_conditions', database: 'spread', table: 'item', conditions: [{ attribute: 'n', comparator: 'less_than', value: 10 }] });
      assert.equal(conditions.length, 10, `search_by_conditions on ${node.host}`);
    }
  });

  test('an update on a node that holds only a stub merges into the real record', async () => {
    const names = nodes.map((n) => n.host);
    const key = keys.find((k) => !holdersNow.get(k)!.includes(e.host))!;
    await e.ok({ operation: 'update', database: 'spread', table: 'item', records: [{ id: key, extra: 'from e' }] });
    // The writer is the origin now: the record moves to E and its two others.
    holdersNow.set(key, chooseHolders(key, e.host, names, 2));
    for (const node of nodes) {
      await waitFor(`${node.host} to read the merged record`, async () => {
        const [record] = await node.ok<Array<{ n?: number; extra?: string }>>({ operation: 'search_by_id', database: 'spread', table: 'item', ids: [key] });
        return record?.extra === 'from e' && typeof record.n === 'number';
      });
    }
    await waitFor('holders of the updated record to follow the rule', async () => {
      const described = await describeTable(a, 'spread', 'item');
      return JSON.stringify(described.record_count_by_node) === JSON.stringify(expectedCounts(names, (k) => holdersNow.get(k)!));
    });
  });

  test('bad input is refused with 400 naming the field', async () => {
    const write = (extra: Record<string, unknown>, database = 'spread', table = 'item') => a.op({ operation: 'insert', database, table, records: [{ id: 'bad' }], ...extra });
    const cases: Array<[Record<string, unknown>, RegExp, string?, string?]> = [
      [{ replicateTo: 9 }, /replicateTo: 9 is more than the 4 other members/],
      [{ replicateTo: -1 }, /replicateTo/],
      [{ replicateTo: ['no-such-node'] }, /replicateTo: node 'no-such-node' is not in this cluster/],
      [{ replicateTo: [d.host] }, /replicateTo: node '.*' is in shard 2, and database 'fleet' is sharded/, 'fleet', 'ship'],
      [{ replicateTo: 1, replicatedConfirmation: 2 }, /replicatedConfirmation: 2 is more than the 1 other node/],
      [{ replicatedConfirmation: -1 }, /replicatedConfirmation/],
    ];
    for (const [extra, message, database, table] of cases) {
      const response = await write(extra, database, table);
      assert.equal(response.status, 400, `${JSON.stringify(extra)}: ${JSON.stringify(response.body)}`);
      assert.match(String(response.body.error), message);
    }
    assert.deepEqual(await a.ok({ operation: 'search_by_id', database: 'spread', table: 'item', ids: ['bad'] }), []);
  });

  test('replicatedConfirmation: 2 returns only after two peers have the write', async () => {
    const names = nodes.map((n) => n.host);
    const body = await a.ok<{ inserted_hashes: string[] }>({ operation: 'insert', database: 'spread', table: 'confirm', records: [{ id: 'c1' }], replicatedConfirmation: 2 });
    assert.deepEqual(body.inserted_hashes, ['c1']);
    // No waiting: both other holders committed it before the answer.
    const [, ...others] = chooseHolders('c1', a.host, names, 2);
    const described = await describeTable(a, 'spread', 'confirm');
    for (const holder of others) assert.equal(described.record_count_by_node[holder], 1, `${holder}: ${JSON.stringify(described)}`);
  });

  test('replicatedConfirmation times out clearly when only one peer can confirm; the write stays', async () => {
    d.pause();
    try {
      const response = await a.op({ operation: 'insert', database: 'spread', table: 'confirm', records: [{ id: 'c2' }], replicateTo: [b.host, d.host], replicatedConfirmation: 2, replicatedConfirmationTimeout: 1_000 });
      assert.equal(response.status, 504, JSON.stringify(response.body));
      assert.match(String(response.body.error), /replicatedConfirmation: 1 of 2 required other nodes confirmed the write within 1000 ms/);
      assert.equal(response.body.confirmed, 1);
      assert.deepEqual(response.body.confirmed_by, [b.host]);
      assert.equal(response.body.written, true);
      assert.deepEqual(response.body.inserted_hashes, ['c2']);
      assert.equal((await a.ok<unknown[]>({ operation: 'search_by_id', database: 'spread', table: 'confirm', ids: ['c2'] })).length, 1);
    } finally {
      d.resume();
    }
    const heldByD = chooseHolders('c1', a.host, nodes.map((n) => n.host), 2).includes(d.host) ? 2 : 1;
    await waitFor('d to store c2 after it resumes', async () => (await describeTable(d, 'spread', 'confirm')).record_count === heldByD);
  });

  test('a holder is killed: reads fail over; a record only it held fails with 502 naming it', async () => {
    const names = nodes.map((n) => n.host);
    await c.ok({ operation: 'insert', database: 'spread', table: 'solo', records: [{ id: 'only-c' }], replicateTo: 0 });
    await waitFor('e to know of only-c', async () => {
      const status = await e.ok<Status>({ operation: 'cluster_status' });
      return status.sharding.find((s) => s.database === 'spread')?.tables.find((t) => t.table === 'solo')?.known_count === 1;
    });
    await c.kill();
    const heldByC = keys.filter((k) => holdersNow.get(k)!.includes(c.host));
    assert.ok(heldByC.length > 0);
    for (const node of [a, b, d, e]) {
      const records = await node.ok<Array<{ id: string }>>({ operation: 'search_by_id', database: 'spread', table: 'item', ids: heldByC });
      assert.equal(records.length, heldByC.length, `reads on ${node.host} of records C held`);
    }
    const response = await e.op({ operation: 'search_by_id', database: 'spread', table: 'solo', ids: ['only-c'] });
    assert.equal(response.status, 502, JSON.stringify(response.body));
    // Every node tried is named with why: C (its only holder) is down.
    assert.match(String(response.body.error), /Record "only-c" of spread\.solo is not stored on this node; tried /);
    assert.ok(String(response.body.error).includes(`'${c.host}' (not connected)`), String(response.body.error));
  });

  test('the killed node is removed: every record is back on three holders', async () => {
    const names = nodes.map((n) => n.host);
    await a.ok({ operation: 'remove_node', hostname: c.host });
    const live = names.filter((n) => n !== c.host);
    const chooseHoldersBefore = new Map(holdersNow);
    for (const key of keys) holdersNow.set(key, rehomedHolders(key, holdersNow.get(key)!, live, 2));
    const expected = expectedCounts(live, (key) => holdersNow.get(key)!);
    await waitFor('records of C re-homed', async () => {
      const described = await describeTable(b, 'spread', 'item');
      return JSON.stringify(described.record_count_by_node) === JSON.stringify(expected) ? described : undefined;
    }, 30_000);
    assert.equal(Object.values(expected).reduce((x, y) => x + y, 0), RECORDS * 3);
    // The nodes that did the moving say so in cluster_status, finished.
    const heldByC = keys.filter((k) => chooseHoldersBefore.get(k)!.includes(c.host)).length;
    await waitFor('cluster_status to show the re-homing finished', async () => {
      let moved = 0;
      let total = 0;
      for (const node of [a, b, d, e]) {
        const status = await node.ok<Status>({ operation: 'cluster_status' });
        const table = status.sharding.find((x) => x.database === 'spread')?.tables.find((t) => t.table === 'item') as { rehoming?: { moved: number; total: number } } | undefined;
        moved += table?.rehoming?.moved ?? 0;
        total += table?.rehoming?.total ?? 0;
      }
      return moved === heldByC && total === heldByC;
    });
    for (const node of [a, b, d, e]) {
      const records = await node.ok<unknown[]>({ operation: 'search_by_id', database: 'spread', table: 'item', ids: keys });
      assert.equal(records.length, RECORDS);
    }
  });

  test('a delete on a node that holds only a stub removes the record from every holder', async () => {
    const key = keys.find((k) => !holdersNow.get(k)!.includes(d.host))!;
    await d.ok({ operation: 'delete', database: 'spread', table: 'item', ids: [key] });
    for (const node of [a, b, d, e]) {
      await waitFor(`${node.host} to lose ${key}`, async () => (await node.ok<unknown[]>({ operation: 'search_by_id', database: 'spread', table: 'item', ids: [key] })).length === 0);
    }
    const described = await describeTable(a, 'spread', 'item');
    assert.equal(Object.values(described.record_count_by_node).reduce((x, y) => x + y, 0), (RECORDS - 1) * 3);
  });

  test('a node joining copies only what it should hold: stubs for the rest, and reads work there', async () => {
    const f = await startClusterNode({ args: [`--REPLICATION_DATABASES=${DATABASES}`, '--REPLICATION_SHARD=2'] });
    nodes.push(f);
    await a.ok({ operation: 'add_node', hostname: f.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    await waitFor('f to know of every record of spread.item', async () => {
      const status = await f.ok<Status>({ operation: 'cluster_status' }).catch(() => undefined);
      return status?.sharding.find((s) => s.database === 'spread')?.tables.find((t) => t.table === 'item')?.known_count === RECORDS - 1;
    }, 30_000);
    // Joining changes no record's holders (they are all still members): nothing moves to f.
    const status = await f.ok<Status>({ operation: 'cluster_status' });
    assert.equal(status.sharding.find((s) => s.database === 'spread')?.tables.find((t) => t.table === 'item')?.record_count, 0);
    const described = await describeTable(a, 'spread', 'item');
    assert.equal(Object.values(described.record_count_by_node).reduce((x, y) => x + y, 0), (RECORDS - 1) * 3);
    const records = await f.ok<unknown[]>({ operation: 'search_by_value', database: 'spread', table: 'item', attribute: 'id', value: '*' });
    assert.equal(records.length, RECORDS - 1);
  });
});
