/**
 * The app's sharding views without a browser, on fixture responses shaped as SPEC 4.10 and the
 * node side send them: cluster_status's `sharding` and describe_table's per-node counts parsed
 * (and malformed or HarperDB answers read as "not reported"), the settings in words, each
 * member's shard from its own status, its hdb_nodes record or a peer's view, the shard colours
 * (distinct, colour-blind-safe, stable) and the legend, drawn with the number as text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ClusterConnection, ClusterStatusResponse } from '../../renderer/api/operations/cluster-status.ts';
import { describeSettings, parseClusterSharding, parseRecordLocations } from '../../renderer/api/operations/sharding.ts';
import type { TableDescription } from '../../renderer/api/operations/types.ts';
import { HOW_TO_CHANGE_SHARDING } from '../../renderer/features/subscriptions/ShardingPanel.tsx';
import type { NodeRow } from '../../renderer/features/topology/hdb-nodes.ts';
import { buildTopology, matrixCell, type NodeReading, type Snapshot } from '../../renderer/features/topology/model.ts';
import { ShardLegend } from '../../renderer/features/topology/ShardLegend.tsx';
import { SHARD_PALETTE, shardColours, shardLegend, shardMark } from '../../renderer/features/topology/shards.ts';

/** cluster_status of a node in shard 1 with a sharded and a replicateTo database (node side's shape). */
const CLUSTER_STATUS_FIXTURE = {
  type: 'cluster-status',
  node_name: '127.0.0.2',
  url: 'ws://127.0.0.2:9930',
  is_enabled: true,
  shard: 1,
  connections: [
    { name: '127.0.0.3', url: 'ws://127.0.0.3:9930', shard: 1, database_sockets: [{ database: 'data', connected: true, bytes_sent: 5120, bytes_received: 300 }] },
    { name: '127.0.0.4', url: 'ws://127.0.0.4:9930', shard: 2, database_sockets: [{ database: 'system', connected: true }] },
  ],
  sharding: [
    { database: 'data', sharded: true, replicateTo: null, tables: [{ table: 'dog', record_count: 40, known_count: 40 }] },
    { database: 'spread', sharded: false, replicateTo: 2, tables: [{ table: 'item', record_count: 12, known_count: 30, rehoming: { moved: 4, total: 10 } }, { table: 'bad' }] },
    { database: 'system', sharded: false, replicateTo: null, tables: [] },
    { sharded: true },
    'junk',
  ],
};

/** describe_table of a replicateTo table on a 3-node cluster where one member did not answer. */
const DESCRIBE_TABLE_FIXTURE: TableDescription = {
  schema: 'spread',
  name: 'item',
  hash_attribute: 'id',
  attributes: [{ attribute: 'id', is_primary_key: true }],
  record_count: 12,
  sharding: { sharded: false, replicateTo: 2 },
  record_count_by_node: { '127.0.0.10': 18, '127.0.0.2': 12, '127.0.0.3': 'x', '127.0.0.4': -1 },
  record_count_errors: { '127.0.0.5': 'timeout after 2000 ms', '127.0.0.6': '' },
};

describe('sharding fields parsed', () => {
  test("cluster_status's sharding: settings, table counts and re-homing; malformed entries dropped", () => {
    const parsed = parseClusterSharding(CLUSTER_STATUS_FIXTURE);
    assert.deepEqual(
      parsed?.map((d) => [d.database, d.sharded, d.replicateTo, d.tables.map((t) => t.table)]),
      [
        ['data', true, null, ['dog']],
        ['spread', false, 2, ['item', 'bad']],
        ['system', false, null, []],
      ],
    );
    assert.deepEqual(parsed?.[1]?.tables[0], { table: 'item', record_count: 12, known_count: 30, rehoming: { moved: 4, total: 10 } });
    assert.deepEqual(parsed?.[1]?.tables[1], { table: 'bad', record_count: 0, known_count: 0 });
  });

  test('a node that does not send sharding (HarperDB, older Peerdesk) reads as not reported', () => {
    const { sharding: _dropped, ...harper } = CLUSTER_STATUS_FIXTURE;
    assert.equal(parseClusterSharding(harper), null);
    assert.equal(parseClusterSharding({ ...harper, sharding: { data: true } }), null);
    assert.equal(parseClusterSharding(null), null);
  });

  test("describe_table's counts per node, numeric order; non-counts dropped; each error with its reason", () => {
    const locations = parseRecordLocations(DESCRIBE_TABLE_FIXTURE);
    assert.deepEqual(locations?.counts, [
      { node: '127.0.0.2', count: 12 },
      { node: '127.0.0.10', count: 18 },
    ]);
    assert.deepEqual(locations?.errors, [
      { node: '127.0.0.5', reason: 'timeout after 2000 ms' },
      { node: '127.0.0.6', reason: 'no reason given' },
    ]);
    assert.deepEqual(locations?.settings, { sharded: false, replicateTo: 2 });
  });

  test('a describe_table without record_count_by_node shows no locations; sharding null is "not sharded"', () => {
    const { record_count_by_node: _a, ...plain } = DESCRIBE_TABLE_FIXTURE;
    assert.equal(parseRecordLocations(plain), null);
    const unsharded = parseRecordLocations({ ...DESCRIBE_TABLE_FIXTURE, sharding: null, record_count_errors: undefined });
    assert.equal(unsharded?.settings, null);
    assert.deepEqual(unsharded?.errors, []);
  });

  test('settings in words', () => {
    assert.equal(describeSettings(null), 'not sharded: every member holds every record');
    assert.equal(describeSettings({ sharded: false, replicateTo: null }), 'not sharded: every member holds every record');
    assert.equal(describeSettings({ sharded: true, replicateTo: null }), 'sharded: replicates only among nodes of the same shard');
    assert.equal(describeSettings({ sharded: false, replicateTo: 1 }), 'each record on the node it was written on and 1 other node');
    assert.equal(describeSettings({ sharded: true, replicateTo: 2 }), 'sharded: replicates only among nodes of the same shard; each record on the node it was written on and 2 other nodes');
    assert.equal(describeSettings({ sharded: false, replicateTo: 0 }), 'each record only on the node it was written on');
  });

  test('the panel says how to change the settings (configuration, then restart)', () => {
    assert.match(HOW_TO_CHANGE_SHARDING, /replication\.databases/);
    assert.match(HOW_TO_CHANGE_SHARDING, /replication\.shard/);
    assert.match(HOW_TO_CHANGE_SHARDING, /restart/);
  });
});

function reading(name: string, status: ClusterStatusResponse | null, rows: NodeRow[] = []): NodeReading {
  return {
    id: name,
    name,
    access: 'network',
    profileId: null,
    opsUrl: `http://${name}:9925`,
    client: status ? ({} as NodeReading['client']) : null,
    status,
    rows: status ? rows : null,
    error: status ? null : new Error('unreachable'),
    note: null,
    ageMs: null,
    system: null,
    suggestedUrl: null,
  };
}

const row = (name: string, shard: number | null): NodeRow => ({ name, url: `ws://${name}:9930`, subscriptions: {}, revokedCertificates: [], shard, caPem: null, extra: {} });
const conn = (name: string, shard?: number | null): ClusterConnection => ({ name, url: `ws://${name}:9930`, ...(shard !== undefined ? { shard } : {}), database_sockets: [{ database: 'system', connected: true }] });
const statusOf = (name: string, shard: number | null | undefined, connections: ClusterConnection[]): ClusterStatusResponse => ({
  type: 'cluster-status',
  node_name: name,
  url: `ws://${name}:9930`,
  is_enabled: true,
  ...(shard !== undefined ? { shard } : {}),
  connections,
});

describe("each member's shard", () => {
  test('from its own status, else its hdb_nodes record, else a peer that reports it; else none', () => {
    const snapshot: Snapshot = {
      currentId: 'a',
      at: 0,
      readings: [
        // a says 1 itself; its record of b says 2 (b is not read); c is seen as 3 by a's status only; d has nothing
        reading('a', statusOf('a', 1, [conn('b'), conn('c', 3), conn('d', null)]), [row('a', 7), row('b', 2), row('c', null), row('d', null)]),
      ],
    };
    const shards = Object.fromEntries(buildTopology(snapshot).members.map((m) => [m.id, m.shard]));
    assert.deepEqual(shards, { a: 1, b: 2, c: 3, d: null });
  });

  test('a member read with no shard anywhere is neutral (null), and a malformed shard is ignored', () => {
    const snapshot: Snapshot = { currentId: 'a', at: 0, readings: [reading('a', { ...statusOf('a', undefined, []), shard: -1 }, [row('a', null)])] };
    assert.equal(buildTopology(snapshot).members[0]?.shard, null);
  });
});

describe('shard colours and legend', () => {
  test('distinct Okabe–Ito colours by rank of the shards present, whatever their numbers', () => {
    const colours = shardColours([9, null, 2, 9, 40]);
    assert.deepEqual([...colours.entries()], [
      [2, SHARD_PALETTE[0]],
      [9, SHARD_PALETTE[1]],
      [40, SHARD_PALETTE[2]],
    ]);
    assert.equal(new Set(shardColours(Array.from({ length: SHARD_PALETTE.length }, (_, i) => i * 5)).values()).size, SHARD_PALETTE.length);
  });

  test('a member without a shard has no mark (drawn neutral)', () => {
    const colours = shardColours([1, 2]);
    assert.equal(shardMark(null, colours), null);
    assert.deepEqual(shardMark(2, colours), { shard: 2, colour: SHARD_PALETTE[1] });
  });

  test('the legend counts members per shard and those without one', () => {
    const legend = shardLegend([1, 1, 2, null, 1]);
    assert.deepEqual(
      legend.entries.map((e) => [e.shard, e.members]),
      [
        [1, 3],
        [2, 1],
      ],
    );
    assert.equal(legend.unsharded, 1);
  });

  test('the legend writes each shard number beside its colour, and is absent without shards', () => {
    const html = renderToStaticMarkup(createElement(ShardLegend, { shards: [1, 2, 2, null] }));
    assert.match(html, /shard 1<\/span>.*1 node</);
    assert.match(html, /shard 2<\/span>.*2 nodes</);
    assert.match(html, /no shard<\/span>.*1 node</);
    assert.match(html, new RegExp(`--shard:${SHARD_PALETTE[1]}`));
    assert.equal(renderToStaticMarkup(createElement(ShardLegend, { shards: [null, null] })), '');
  });
});

describe('a sharded database between shards is not a fault of the link', () => {
  const SHARDED = [{ database: 'data', sharded: true, replicateTo: null, tables: [] }];
  const excluded = { database: 'data', connected: false, nodes: ['c'], lastError: "not replicated with this node: 'data' is sharded and 'c' is in shard 2" };
  const systemUp = { database: 'system', connected: true, latency: 2 };
  const across = (from: string, to: string, toShard: number, sockets: ClusterConnection['database_sockets']): ClusterConnection => ({ name: to, url: `ws://${to}:9930`, shard: toShard, database_sockets: sockets });
  const sharded = (name: string, shard: number, connections: ClusterConnection[]): ClusterStatusResponse => ({ ...statusOf(name, shard, connections), sharding: SHARDED });

  test('A (shard 1) and C (shard 2): the data socket left out by design, the link is connected, not partial', () => {
    const snapshot: Snapshot = {
      currentId: 'a',
      at: 0,
      readings: [
        reading('a', sharded('a', 1, [across('a', 'c', 2, [excluded, systemUp])])),
        reading('c', sharded('c', 2, [across('c', 'a', 1, [{ ...excluded, nodes: ['a'] }, systemUp])])),
      ],
    };
    const link = buildTopology(snapshot).links[0]!;
    assert.deepEqual([link.health.kind, link.health.up, link.health.total], ['connected', 1, 1]);
    assert.equal(link.views[0]?.connection.database_sockets.length, 2, 'the panel still lists the data socket with why');
    assert.deepEqual(link.views.map((v) => v.notReplicated), [['data'], ['data']]);
    assert.equal(matrixCell('a', 'c', snapshot.readings[0]!.status, false).kind, 'up');
  });

  test('within a shard, a data socket that is down still makes the link partial', () => {
    const down = { database: 'data', connected: false, lastError: 'connect ECONNREFUSED' };
    const snapshot: Snapshot = {
      currentId: 'a',
      at: 0,
      readings: [reading('a', sharded('a', 1, [across('a', 'b', 1, [down, systemUp])])), reading('b', sharded('b', 1, [across('b', 'a', 1, [down, systemUp])]))],
    };
    const link = buildTopology(snapshot).links[0]!;
    assert.equal(link.health.kind, 'partial');
    assert.equal(link.views[0]?.notReplicated, undefined);
    assert.equal(matrixCell('a', 'b', snapshot.readings[0]!.status, false).kind, 'partial');
  });
});
