/**
 * The node answers as HarperDB 4.7 does (issue 11, item 5). Fixtures are HarperDB's published
 * examples: the operations-API reference (HarperDB/documentation,
 * docs/developers/operations-api/clustering.md and nosql-operations.md) and, where the
 * reference shows no example, HarperDB's own source (HarperFast/harper: the hdb_nodes
 * attributes of server/replication/knownNodes.ts, the remove_node answer of
 * server/replication/setNode.ts, the messages of utility/errors/commonErrors.js). Every field
 * of a fixture must be in our answer, under the same name; extra fields are fine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitForLink } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

/** cluster_status, "Response: 200" of clustering.md (its trailing-comma typo mended). */
const CLUSTER_STATUS_EXAMPLE = {
  type: 'cluster-status',
  connections: [
    {
      replicateByDefault: true,
      replicates: true,
      url: 'wss://server-2.domain.com:9933',
      name: 'server-2.domain.com',
      subscriptions: null,
      database_sockets: [
        {
          database: 'data',
          connected: true,
          latency: 0.7,
          thread_id: 1,
          nodes: ['server-2.domain.com'],
          lastCommitConfirmed: 'Wed, 12 Feb 2025 19:09:34 GMT',
          lastReceivedRemoteTime: 'Wed, 12 Feb 2025 16:49:29 GMT',
          lastReceivedLocalTime: 'Wed, 12 Feb 2025 16:50:59 GMT',
          lastSendTime: 'Wed, 12 Feb 2025 16:50:59 GMT',
        },
      ],
    },
  ],
  node_name: 'server-1.domain.com',
  is_enabled: true,
};

/** The attributes HarperDB gives system.hdb_nodes (knownNodes.ts), and ca_info's keys as 4.7 sends them. */
const HDB_NODES_ATTRIBUTES = ['name', 'subscriptions', 'url', 'ca', 'ca_info', 'replicates'];
const CA_INFO_KEYS = ['issuer', 'subject', 'serialNumber', 'validFrom', 'validTo'];

/** update_node's documented subscription: the shape of a hdb_nodes row's `subscriptions` entries. */
const SUBSCRIPTION_EXAMPLE = { database: 'dev', table: 'my-table', subscribe: true, publish: true };

/** insert's documented records (nosql-operations.md), and one record of the upsert example that lacks attributes. */
const DOG_RECORDS = [
  { id: 8, dog_name: 'Harper', breed_id: 346, age: 7 },
  { id: 9, dog_name: 'Penny', breed_id: 154, age: 7 },
];
const SPARSE_RECORD = { id: 10, weight_lbs: 155 };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every field of `example` is in `actual` under the same name, of the same kind (null stands in for any). */
function assertHasShape(actual: unknown, example: Json, path = '$'): void {
  if (example === null || actual === null) return;
  if (Array.isArray(example)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    if (example.length > 0) {
      assert.ok(actual.length > 0, `${path}: expected entries like ${JSON.stringify(example[0])}`);
      assertHasShape(actual[0], example[0]!, `${path}[0]`);
    }
    return;
  }
  if (typeof example === 'object') {
    assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(example)) {
      assert.ok(key in (actual as object), `${path}.${key} is missing (HarperDB sends it): ${JSON.stringify(actual).slice(0, 400)}`);
      assertHasShape((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  assert.equal(typeof actual, typeof example, `${path}: expected a ${typeof example}, got ${JSON.stringify(actual)}`);
}

describe('HarperDB 4.7 response shapes', () => {
  let cluster: Cluster;
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    cluster = await Cluster.start(2, { mesh: true });
    [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'data', table: 'dog', primary_key: 'id' });
    await waitForLink(a, b.host, 'data');
    await waitForLink(b, a.host, 'data');
  });
  after(async () => cluster?.cleanup());

  test('cluster_status has every field of the documented example, and ca_info with HarperDB’s keys', async () => {
    const status = await a.ok<{ connections: Array<{ name: string; ca_info: Record<string, unknown>; database_sockets: Array<{ database: string }> }> }>({ operation: 'cluster_status' });
    // Compare the socket for the example's database ('data').
    const connection = status.connections.find((c) => c.name === b.host)!;
    const trimmed = { ...status, connections: [{ ...connection, database_sockets: connection.database_sockets.filter((s) => s.database === 'data') }] };
    assertHasShape(trimmed, CLUSTER_STATUS_EXAMPLE);
    assert.ok(connection.ca_info, JSON.stringify(connection));
    for (const key of CA_INFO_KEYS) assert.equal(typeof connection.ca_info[key], 'string', `ca_info.${key}: ${JSON.stringify(connection.ca_info)}`);
    assert.ok(!Number.isNaN(Date.parse(connection.ca_info.validTo as string)), String(connection.ca_info.validTo));
  });

  test('hdb_nodes rows carry replicates, subscriptions and ca_info as HarperDB’s do', async () => {
    await a.ok({ operation: 'create_table', database: 'dev', table: 'my-table', primary_key: 'id' });
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions: [SUBSCRIPTION_EXAMPLE] });
    const rows = await a.ok<Array<Record<string, unknown>>>({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*', get_attributes: ['*'] });
    assert.deepEqual(rows.map((r) => r.name).sort(), [a.host, b.host].sort());
    for (const row of rows) {
      for (const attribute of HDB_NODES_ATTRIBUTES) assert.ok(attribute in row, `hdb_nodes row '${row.name}' has no '${attribute}': ${JSON.stringify(row).slice(0, 300)}`);
      assert.equal(row.replicates, true);
      const ca = row.ca_info as Record<string, unknown>;
      for (const key of CA_INFO_KEYS) assert.equal(typeof ca?.[key], 'string', `${row.name} ca_info.${key}: ${JSON.stringify(ca)}`);
    }
    const peer = rows.find((r) => r.name === b.host)!;
    assert.ok(Array.isArray(peer.subscriptions), `subscriptions is HarperDB's array: ${JSON.stringify(peer.subscriptions)}`);
    assertHasShape(peer.subscriptions, [SUBSCRIPTION_EXAMPLE]);
    assert.equal(rows.find((r) => r.name === a.host)!.subscriptions, null, 'no explicit subscriptions: null');
    // The subscription still governs the link (the policy reads the per-setter map beside it).
    const status = await a.ok<{ connections: Array<{ name: string; subscriptions: unknown }> }>({ operation: 'cluster_status' });
    assert.deepEqual(status.connections.find((c) => c.name === b.host)!.subscriptions, [SUBSCRIPTION_EXAMPLE]);
    await a.ok({ operation: 'update_node', hostname: b.host, subscriptions: null });
  });

  test('search_by_* with get_attributes ["*"] returns every attribute of the table, null where a record lacks it', async () => {
    await a.ok({ operation: 'insert', database: 'data', table: 'dog', records: DOG_RECORDS });
    await a.ok({ operation: 'upsert', database: 'data', table: 'dog', records: [SPARSE_RECORD] });
    const every = ['id', 'dog_name', 'breed_id', 'age', 'weight_lbs'];
    const requests = [
      { operation: 'search_by_value', database: 'data', table: 'dog', search_attribute: 'id', search_value: '*', get_attributes: ['*'] },
      { operation: 'search_by_id', database: 'data', table: 'dog', ids: [8, 9, 10], get_attributes: ['*'] },
      { operation: 'search_by_conditions', database: 'data', table: 'dog', get_attributes: ['*'], conditions: [{ search_attribute: 'id', search_type: 'greater_than', search_value: 0 }] },
    ];
    for (const request of requests) {
      const records = await a.ok<Array<Record<string, unknown>>>(request);
      assert.equal(records.length, 3, request.operation);
      for (const record of records) for (const attribute of every) assert.ok(attribute in record, `${request.operation}: record ${record.id} lacks '${attribute}': ${JSON.stringify(record)}`);
      const sparse = records.find((r) => r.id === 10)!;
      assert.deepEqual({ dog_name: sparse.dog_name, breed_id: sparse.breed_id, age: sparse.age, weight_lbs: sparse.weight_lbs }, { dog_name: null, breed_id: null, age: null, weight_lbs: 155 });
    }
    // Named attributes still return just those (the documented search_by_id example's shape).
    const named = await a.ok<Array<Record<string, unknown>>>({ operation: 'search_by_id', database: 'data', table: 'dog', ids: [9], get_attributes: ['dog_name', 'breed_id'] });
    assert.deepEqual(named, [{ dog_name: 'Penny', breed_id: 154 }]);
  });

  test('hdb_user searched with ["*"] still never shows a password', async () => {
    const users = await a.ok<Array<Record<string, unknown>>>({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*', get_attributes: ['*'] });
    assert.ok(users.length > 0);
    for (const user of users) assert.ok(!('password' in user), JSON.stringify(user));
  });

  test('remove_node of an unknown node: 400 "<name> does not exist"', async () => {
    const response = await a.op<{ error: string }>({ operation: 'remove_node', hostname: 'server-two' });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error, 'server-two does not exist');
  });

  test('a write into a missing table or database: 400 with HarperDB’s words', async () => {
    for (const operation of ['insert', 'update', 'upsert']) {
      const missingTable = await a.op<{ error: string }>({ operation, database: 'data', table: 'nope', records: [{ id: 1 }] });
      assert.equal(missingTable.status, 400, `${operation}: ${JSON.stringify(missingTable.body)}`);
      assert.equal(missingTable.body.error, "Table 'data.nope' does not exist");
      const missingDatabase = await a.op<{ error: string }>({ operation, database: 'nodb', table: 'dog', records: [{ id: 1 }] });
      assert.equal(missingDatabase.status, 400, `${operation}: ${JSON.stringify(missingDatabase.body)}`);
      assert.equal(missingDatabase.body.error, "database 'nodb' does not exist");
    }
  });
});
