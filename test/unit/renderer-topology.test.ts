/**
 * The cluster view's rules without a browser: link health from both sides' sockets (connected,
 * partial, copying, one-sided, down), merging readings into members and links, which end acts,
 * subscriptions as each node applies them (own list, mirror, default) and the direction they
 * give a link, the editor's diff, hdb_nodes records in both shapes, and the automatic layout.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterConnection, ClusterStatusResponse, DatabaseSocket } from '../../renderer/api/operations/cluster-status.ts';
import { diffPolicies, flowOf, policyOn, subscriptionList } from '../../renderer/features/subscriptions/model.ts';
import { parseNodeRow, rowsByName, type NodeRow } from '../../renderer/features/topology/hdb-nodes.ts';
import { derivedOpsUrl, hostOfUrl } from '../../renderer/features/topology/crawl.ts';
import { autoLayout, placeNodes } from '../../renderer/features/topology/layout.ts';
import { buildTopology, confirmedBy, linkHealth, linkId, matrixCell, type LinkView, type NodeReading, type Snapshot } from '../../renderer/features/topology/model.ts';

const socket = (database: string, connected: boolean, extra: Partial<DatabaseSocket> = {}): DatabaseSocket => ({ database, connected, ...extra });
const connection = (name: string, sockets: DatabaseSocket[]): ClusterConnection => ({ name, url: `ws://${name}:9930`, database_sockets: sockets });
const view = (from: string, to: string, sockets: DatabaseSocket[]): LinkView => ({ from, to, connection: connection(to, sockets) });
const status = (name: string, connections: ClusterConnection[]): ClusterStatusResponse => ({ type: 'cluster-status', node_name: name, url: `ws://${name}:9930`, is_enabled: true, connections });

function reading(name: string, connections: ClusterConnection[] | null, rows: NodeRow[] = [], access: NodeReading['access'] = 'saved'): NodeReading {
  return {
    id: name,
    name,
    access,
    profileId: `p-${name}`,
    opsUrl: `http://${name}:9925`,
    client: connections ? ({} as NodeReading['client']) : null,
    status: connections ? status(name, connections) : null,
    rows: connections ? rows : null,
    error: connections ? null : new Error('unreachable'),
    note: null,
    ageMs: null,
    system: null,
    suggestedUrl: null,
  };
}

const row = (name: string, subscriptions: NodeRow['subscriptions'] = {}): NodeRow => ({ name, url: `ws://${name}:9930`, subscriptions, revokedCertificates: [], shard: null, caPem: null, extra: {} });

describe('link health', () => {
  test('both sides connected on every database: connected', () => {
    const health = linkHealth([view('a', 'b', [socket('data', true), socket('system', true)]), view('b', 'a', [socket('data', true), socket('system', true)])], true);
    assert.deepEqual([health.kind, health.word, health.tone], ['connected', 'connected', 'ok']);
  });

  test('a database down on one side: partial, k of n', () => {
    const health = linkHealth([view('a', 'b', [socket('data', false), socket('system', true)]), view('b', 'a', [socket('data', true), socket('system', true)])], true);
    assert.deepEqual([health.kind, health.word, health.up, health.total], ['partial', 'partial (1 of 2 databases)', 1, 2]);
  });

  test('an initial copy in progress: copying with its percentage', () => {
    const copying = socket('data', true, { lastReceivedStatus: 'Copying', copy_progress: { copied: 25, total: 100, done: false } });
    const health = linkHealth([view('a', 'b', [copying, socket('system', true)]), view('b', 'a', [socket('data', true), socket('system', true)])], true);
    assert.deepEqual([health.kind, health.word, health.percent], ['copying', 'copying 25%', 25]);
  });

  test('only one side reports it while the other was read: one-sided, naming the reporter', () => {
    const health = linkHealth([view('c', 'a', [socket('data', false), socket('system', false)])], true);
    assert.deepEqual([health.kind, health.reporter, health.tone], ['one-sided', 'c', 'bad']);
  });

  test('the other side could not be read: judged on the side that reports it', () => {
    assert.equal(linkHealth([view('a', 'b', [socket('data', true)])], false).kind, 'connected');
    assert.equal(linkHealth([view('a', 'b', [socket('data', false)])], false).kind, 'down');
  });
});

describe('merging readings', () => {
  const both = [socket('data', true, { latency: 3, lag_ms: 10 }), socket('system', true, { latency: 5, lag_ms: 2 })];

  test('one link per pair with both directions, latency and lag as the worst socket', () => {
    const snapshot: Snapshot = {
      currentId: 'a',
      at: 0,
      readings: [reading('a', [connection('b', both)], [row('a'), row('b')], 'current'), reading('b', [connection('a', both)], [row('a'), row('b')])],
    };
    const topology = buildTopology(snapshot);
    assert.deepEqual(topology.members.map((m) => [m.id, m.isCurrent, m.reachable, m.inCluster]), [
      ['a', true, true, true],
      ['b', false, true, true],
    ]);
    assert.equal(topology.links.length, 1);
    const [link] = topology.links;
    assert.deepEqual([link!.id, link!.views.length, link!.health.kind, link!.latencyMs, link!.lagMs, link!.caller], ['a|b', 2, 'connected', 5, 10, 'a']);
    assert.deepEqual(link!.flow, { aToB: true, bToA: true, explicit: false });
    assert.equal(confirmedBy(snapshot, 'a', 'b'), true);
    assert.equal(confirmedBy(snapshot, 'b', 'c'), false);
  });

  test('a member that cannot be read is in the graph, not reachable, and never the caller', () => {
    const topology = buildTopology({ currentId: 'b', at: 0, readings: [reading('b', [connection('a', both)], [], 'current'), reading('a', null)] });
    const a = topology.members.find((m) => m.id === 'a')!;
    assert.deepEqual([a.reachable, a.inCluster], [false, true]);
    assert.equal(topology.links[0]!.caller, 'b');
  });

  test('a saved node outside the cluster is shown but not in it; a one-sided link acts from the side that has it', () => {
    const topology = buildTopology({
      currentId: 'a',
      at: 0,
      readings: [reading('a', [], [row('a')], 'current'), reading('c', [connection('a', [socket('data', false)])], [row('c'), row('a')])],
    });
    assert.equal(topology.members.find((m) => m.id === 'c')!.inCluster, false);
    assert.deepEqual([topology.links[0]!.health.kind, topology.links[0]!.caller], ['one-sided', 'c']);
  });

  test('explicit subscriptions publishing only: a one-way link, arrow from the publisher', () => {
    const rows = [row('a'), row('b', { a: [{ database: 'data', table: 't', publish: true, subscribe: false }] })];
    const topology = buildTopology({ currentId: 'a', at: 0, readings: [reading('a', [connection('b', both)], rows, 'current'), reading('b', [connection('a', both)], rows)] });
    assert.deepEqual(topology.links[0]!.flow, { aToB: true, bToA: false, explicit: true });
  });

  test('matrix cells: self, unlinked, down, up with latency, stale', () => {
    const s = status('a', [connection('b', [socket('data', true, { latency: 7 })]), connection('c', [socket('data', false)])]);
    assert.equal(matrixCell('a', 'a', s, false).kind, 'self');
    assert.deepEqual([matrixCell('a', 'b', s, false).kind, matrixCell('a', 'b', s, false).latencyMs], ['up', 7]);
    assert.equal(matrixCell('a', 'c', s, false).kind, 'down');
    assert.equal(matrixCell('a', 'd', s, false).kind, 'none');
    assert.equal(matrixCell('a', 'b', s, true).stale, true);
    assert.equal(matrixCell('a', 'b', null, false).kind, 'no-data');
  });

  test('link ids name a pair once, whichever end comes first', () => {
    assert.equal(linkId('127.0.0.5', '127.0.0.3'), linkId('127.0.0.3', '127.0.0.5'));
  });
});

describe('subscriptions as each end applies them', () => {
  const list = [
    { database: 'data', table: 't1', publish: true, subscribe: false },
    { database: 'data', table: 't2', publish: true, subscribe: true },
  ];
  const rows = rowsByName([row('a'), row('b', { a: list })]);

  test('the setter applies its own list; the peer applies the mirror image', () => {
    const onA = policyOn(rows, 'a', 'b');
    assert.equal(onA.source, 'own');
    assert.deepEqual(onA.direction('data', 't1'), { publish: true, subscribe: false });
    const onB = policyOn(rows, 'b', 'a');
    assert.equal(onB.source, 'mirror');
    assert.deepEqual(onB.direction('data', 't1'), { publish: false, subscribe: true });
    assert.deepEqual(onB.direction('data', 'unlisted'), { publish: false, subscribe: false });
  });

  test('a list the peer set for itself wins on its side', () => {
    const own = rowsByName([row('a', { b: [{ database: 'data', table: 't1', publish: false, subscribe: false }] }), row('b', { a: list })]);
    assert.equal(policyOn(own, 'b', 'a').source, 'own');
  });

  test('no list: everything both ways', () => {
    const none = policyOn(rowsByName([row('a'), row('b')]), 'a', 'b');
    assert.deepEqual([none.source, none.direction('x', 'y')], ['default', { publish: true, subscribe: true }]);
    assert.deepEqual(flowOf(none), { out: true, in: true });
  });

  test('the diff lists exactly what changes; the saved list covers every table', () => {
    const tables = [
      { database: 'data', table: 't2' },
      { database: 'data', table: 't1' },
    ];
    const before = policyOn(rows, 'a', 'b');
    const after = (t: { database: string; table: string }) => ({ publish: true, subscribe: true });
    assert.deepEqual(diffPolicies(tables, (t) => before.direction(t.database, t.table), after), [{ database: 'data', table: 't1', field: 'subscribe', before: false, after: true }]);
    assert.deepEqual(subscriptionList(tables, after).map((s) => s.table), ['t1', 't2']);
  });
});

describe('hdb_nodes records', () => {
  test('Peerdesk shape: subscriptions keyed by setter; the CA is kept aside', () => {
    const parsed = parseNodeRow({ name: 'b', url: 'ws://b:9930', ca: '-----BEGIN CERTIFICATE-----', subscriptions: { a: [{ schema: 'data', table: 't', publish: true, subscribe: false }] }, shard: 2 }, 'a');
    assert.deepEqual(parsed?.subscriptions, { a: [{ database: 'data', table: 't', publish: true, subscribe: false }] });
    assert.deepEqual([parsed?.caPem?.slice(0, 5), parsed?.shard, Object.keys(parsed?.extra ?? {})], ['-----', 2, []]);
  });

  test('Peerdesk rows: each setter\'s list from subscriptions_by_node, not the HarperDB array beside it', () => {
    const list = [{ database: 'dev', table: 'dog', publish: true, subscribe: false }];
    const parsed = parseNodeRow({ name: 'b', subscriptions: list, subscriptions_by_node: { c: list } }, 'a');
    assert.deepEqual(parsed?.subscriptions, { c: list });
    assert.deepEqual(Object.keys(parsed?.extra ?? {}), []);
  });

  test('HarperDB 4 shape: a plain list is the subscriptions of the node it was read from', () => {
    const parsed = parseNodeRow({ name: 'b', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: true }] }, 'a');
    assert.deepEqual(Object.keys(parsed!.subscriptions), ['a']);
    assert.equal(parseNodeRow({ url: 'x' }, 'a'), null);
  });
});

describe('where members are asked and placed', () => {
  test('a member is asked on the current connection port at its own host', () => {
    assert.equal(derivedOpsUrl('http://127.0.0.1:9925', '127.0.0.5'), 'http://127.0.0.5:9925');
    assert.equal(derivedOpsUrl('https://db.example.com:9926', '::1'), 'https://[::1]:9926');
    assert.equal(hostOfUrl('ws://[::1]:9930'), '::1');
  });

  test('auto layout by hops from the current node: a triangle puts both peers in one column', () => {
    const p = autoLayout([{ id: 'a' }, { id: 'b' }, { id: 'c' }], [{ a: 'a', b: 'b' }, { a: 'b', b: 'c' }, { a: 'a', b: 'c' }], 'a');
    assert.equal(p.b!.x, p.c!.x);
    assert.ok(p.a!.x < p.b!.x);
    assert.notEqual(p.b!.y, p.c!.y);
  });

  test('remembered positions stay; a new node goes beside them', () => {
    const placed = placeNodes(['a', 'b', 'new'], { a: { x: 0, y: 0 }, b: { x: 400, y: 100 } }, []);
    assert.deepEqual([placed.a, placed.b], [{ x: 0, y: 0 }, { x: 400, y: 100 }]);
    assert.ok(placed.new!.x > 400);
  });
});
