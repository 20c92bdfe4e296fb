/**
 * Bad input to the clustering operations (SPEC 2 "validated before it touches data", 6
 * "Contained"): each gets a 400 (404 for unknown nodes) naming the field and what is expected,
 * nothing is half-applied (no hdb_nodes rows, no routes), and the node keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, tableState } from '../support/cluster.ts';
import { ADMIN, freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { assertError } from '../support/ops.ts';

type Case = [body: Record<string, unknown>, status: number, ...patterns: Array<string | RegExp>];

const OTHER = '127.0.0.99';
const sub = (over: Record<string, unknown> = {}) => ({ database: 'dev', table: 'dog', publish: true, subscribe: true, ...over });

describe('clustering operations reject bad input with a 400 naming the field', () => {
  let node: NodeProcess;
  let nodeRows: string[];
  before(async () => {
    node = await startClusterNode({});
    await node.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await node.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Rex' }] });
    nodeRows = [...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()];
    assert.deepEqual(nodeRows, [JSON.stringify(node.host)]);
  });
  after(async () => node?.cleanup());

  /** hdb_nodes and the routes are exactly as before the bad requests. */
  async function assertNothingCreated(): Promise<void> {
    assert.deepEqual([...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()], nodeRows);
    assert.deepEqual(await node.ok({ operation: 'cluster_get_routes' }), []);
    assert.deepEqual((await node.ok({ operation: 'cluster_status' })).connections, []);
  }

  async function check(cases: Case[]): Promise<void> {
    for (const [body, status, ...patterns] of cases) {
      const response = await node.op(body);
      try {
        assertError(response, status, ...patterns);
      } catch (error) {
        throw new Error(`${JSON.stringify(body)}: ${(error as Error).message}`);
      }
    }
    await assertNothingCreated();
  }

  test('add_node: missing or malformed hostname / url', async () => {
    await check([
      [{ operation: 'add_node' }, 400, "'hostname'", 'url'],
      [{ operation: 'set_node' }, 400, "'hostname'", 'url'],
      [{ operation: 'add_node', url: 'http://x' }, 400, "'url'", 'ws://'],
      [{ operation: 'add_node', url: 'ws://' }, 400, "'url'", 'ws://'],
      [{ operation: 'add_node', url: 'not a url' }, 400, "'url'", 'ws://'],
      [{ operation: 'add_node', url: 'wss://:9933' }, 400, "'url'"],
      [{ operation: 'add_node', url: 'ws://127.0.0.99:99999' }, 400, "'url'"],
      [{ operation: 'add_node', url: 42 }, 400, "'url'", 'string'],
      [{ operation: 'add_node', hostname: 'has space' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: 'a/b' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: 'server/../../etc' }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: 'x\ny' }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: '' }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: 'x'.repeat(300) }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: 5 }, 400, "'hostname'", 'string'],
      [{ operation: 'add_node', hostname: null }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: ['a'] }, 400, "'hostname'"],
      [{ operation: 'add_node', hostname: '.' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: ':' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: '...' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: '999.1.1.1' }, 400, "'hostname'", 'host name'],
      [{ operation: 'add_node', hostname: '[' }, 400, "'hostname'", 'host name'],
    ]);
  });

  test('add_node: credentials belong in authorization, never in the url', async () => {
    const response = await node.op({ operation: 'add_node', url: `ws://${ADMIN.username}:${ADMIN.password}@${OTHER}:9930` });
    assertError(response, 400, "'url'", 'authorization');
    assert.ok(!JSON.stringify(response.body).includes(ADMIN.password), 'the error echoes the password');
    await assertNothingCreated();
  });

  test('add_node: subscriptions naming missing databases / tables or of the wrong shape', async () => {
    await check([
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [sub({ table: 'nope' })] }, 400, 'subscriptions[0]', "'dev.nope'", 'does not exist'],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [sub(), sub({ database: 'nodb' })] }, 400, 'subscriptions[1]', "'nodb'", 'does not exist'],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [{ schema: 'dev', table: 'nope', publish: true, subscribe: false }] }, 400, 'subscriptions[0]', "'dev.nope'"],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [sub({ publish: 'yes' })] }, 400, 'subscriptions[0].publish', 'boolean'],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [{ database: 'dev', publish: true, subscribe: true }] }, 400, 'subscriptions[0].table'],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: [null] }, 400, 'subscriptions[0]'],
      [{ operation: 'add_node', hostname: OTHER, subscriptions: 'all' }, 400, "'subscriptions'", 'array'],
    ]);
  });

  test('add_node: start_time that is not a time', async () => {
    await check([
      [{ operation: 'add_node', hostname: OTHER, start_time: 'yesterday' }, 400, "'start_time'", 'ISO-8601'],
      [{ operation: 'add_node', hostname: OTHER, start_time: -5 }, 400, "'start_time'", 'epoch'],
      [{ operation: 'add_node', hostname: OTHER, start_time: {} }, 400, "'start_time'"],
      [{ operation: 'add_node', hostname: OTHER, start_time: [] }, 400, "'start_time'"],
      [{ operation: 'add_node', hostname: OTHER, start_time: true }, 400, "'start_time'"],
      [{ operation: 'add_node', hostname: OTHER, start_time: '2024-13-45' }, 400, "'start_time'"],
      [{ operation: 'add_node', hostname: OTHER, start_time: '2024-01-01 and then some' }, 400, "'start_time'"],
      [{ operation: 'add_node', hostname: OTHER, start_time: 1e300 }, 400, "'start_time'"],
      [{ operation: 'update_node', hostname: OTHER, start_time: 'yesterday' }, 400, "'start_time'"],
    ]);
  });

  test('add_node: authorization of the wrong shape (and nothing echoed back)', async () => {
    await check([
      [{ operation: 'add_node', hostname: OTHER, authorization: 'secret-value' }, 400, "'authorization'", 'username, password'],
      [{ operation: 'add_node', hostname: OTHER, authorization: 42 }, 400, "'authorization'"],
      [{ operation: 'add_node', hostname: OTHER, authorization: [] }, 400, "'authorization'"],
      [{ operation: 'add_node', hostname: OTHER, authorization: { user: 'admin', pass: 'x' } }, 400, "'authorization.username'", "'authorization.password'"],
      [{ operation: 'add_node', hostname: OTHER, authorization: { username: 'admin' } }, 400, "'authorization.password'"],
      [{ operation: 'add_node', hostname: OTHER, authorization: { username: 'admin', password: '' } }, 400, "'authorization.password'"],
      [{ operation: 'add_node', hostname: OTHER, authorization: { username: 'admin', password: 7 } }, 400, "'authorization.password'"],
      [{ operation: 'add_node', hostname: OTHER, verify_tls: 'no' }, 400, "'verify_tls'", 'boolean'],
      [{ operation: 'add_node', hostname: OTHER, shard: -1 }, 400, "'shard'"],
      [{ operation: 'add_node', hostname: OTHER, revoked_certificates: 'x' }, 400, "'revoked_certificates'", 'array'],
    ]);
    const response = await node.op({ operation: 'add_node', hostname: OTHER, authorization: 'secret-value' });
    assert.ok(!JSON.stringify(response.body).includes('secret-value'), JSON.stringify(response.body));
  });

  test('add_node with credentials to an address where no node listens: an error, nothing recorded', async () => {
    const nobody = freshLoopbackAddress();
    const response = await node.op({ operation: 'add_node', hostname: nobody, authorization: { username: ADMIN.username, password: ADMIN.password } });
    assert.ok(response.status >= 400 && response.status < 600 && response.status !== 500, `${response.status} ${JSON.stringify(response.body)}`);
    assert.match((response.body as { error: string }).error, new RegExp(nobody.replace(/\./g, '\\.')));
    assert.ok(!JSON.stringify(response.body).includes(ADMIN.password));
    await assertNothingCreated();
  });

  test('the node itself, and nodes that are not in the cluster', async () => {
    await check([
      [{ operation: 'add_node', hostname: '__SELF__' }, 400, 'this node'],
      [{ operation: 'add_node', url: '__SELF_URL__' }, 400, 'this node'],
      [{ operation: 'update_node', hostname: '__SELF__' }, 400, 'this node'],
      [{ operation: 'update_node', hostname: OTHER }, 404, `'${OTHER}'`],
      [{ operation: 'update_node', url: `ws://${OTHER}:9930` }, 404, `'${OTHER}'`],
      [{ operation: 'update_node' }, 400, "'hostname'"],
      [{ operation: 'remove_node', hostname: OTHER }, 400, `${OTHER} does not exist`],
      [{ operation: 'remove_node', url: `ws://${OTHER}:9930` }, 400, `${OTHER} does not exist`],
      [{ operation: 'remove_node' }, 400, "'hostname'"],
      [{ operation: 'remove_node', hostname: 'bad host' }, 400, "'hostname'"],
    ].map(([body, ...rest]) => [
      Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, v === '__SELF__' ? node.host : v === '__SELF_URL__' ? `ws://${node.host}:9930` : v])),
      ...rest,
    ]) as Case[]);
  });

  test('cluster_set_routes / cluster_delete_routes with bad routes', async () => {
    await check([
      [{ operation: 'cluster_set_routes' }, 400, "'routes'"],
      [{ operation: 'cluster_set_routes', routes: [] }, 400, "'routes'"],
      [{ operation: 'cluster_set_routes', routes: 'x' }, 400, "'routes'", 'array'],
      [{ operation: 'cluster_set_routes', routes: [42] }, 400, "'routes[0]'"],
      [{ operation: 'cluster_set_routes', routes: [''] }, 400, "'routes[0]'"],
      [{ operation: 'cluster_set_routes', routes: ['good-host', 'http://x'] }, 400, 'routes[1]', 'ws://'],
      [{ operation: 'cluster_set_routes', routes: ['ws://'] }, 400, 'routes[0]'],
      [{ operation: 'cluster_set_routes', routes: ['a b'] }, 400, 'routes[0]', 'host'],
      [{ operation: 'cluster_set_routes', routes: ['host:99999'] }, 400, 'routes[0]', 'port'],
      [{ operation: 'cluster_set_routes', routes: [{ hostname: 'a b' }] }, 400, "'routes[0].hostname'"],
      [{ operation: 'cluster_set_routes', routes: [{ hostname: 'ok', port: 0 }] }, 400, "'routes[0].port'"],
      [{ operation: 'cluster_set_routes', routes: [{ hostname: 'ok', port: 'x' }] }, 400, "'routes[0].port'"],
      [{ operation: 'cluster_set_routes', routes: [{ port: 9930 }] }, 400, "'routes[0].hostname'"],
      [{ operation: 'cluster_delete_routes', routes: [{}] }, 400, "'routes[0].hostname'"],
      [{ operation: 'cluster_delete_routes', routes: ['http://x'] }, 400, 'routes[0]', 'ws://'],
      [{ operation: 'cluster_delete_routes', routes: ['a b'] }, 400, 'routes[0]'],
      [{ operation: 'cluster_delete_routes', routes: ['ws://'] }, 400, 'routes[0]'],
    ]);
  });

  test('configure_cluster with bad connections applies none of them', async () => {
    await check([
      [{ operation: 'configure_cluster' }, 400, "'connections'"],
      [{ operation: 'configure_cluster', connections: 'x' }, 400, "'connections'", 'array'],
      [{ operation: 'configure_cluster', connections: [{}] }, 400, "'connections[0].hostname'"],
      [{ operation: 'configure_cluster', connections: [{ hostname: 'a b' }] }, 400, "'connections[0].hostname'"],
      [{ operation: 'configure_cluster', connections: [{ hostname: '127.0.0.98' }, { url: 'http://y' }] }, 400, "'connections[1].url'"],
      [{ operation: 'configure_cluster', connections: [{ hostname: '127.0.0.98', start_time: 'yesterday' }] }, 400, "'connections[0].start_time'"],
      // Valid shapes, but the second connection cannot be applied: the first must not be either.
      [{ operation: 'configure_cluster', connections: [{ hostname: '127.0.0.98' }, { hostname: '__SELF__' }] }, 400, 'this node'],
      [{ operation: 'configure_cluster', connections: [{ hostname: '127.0.0.97' }, { hostname: '127.0.0.96', subscriptions: [sub({ table: 'nope' })] }] }, 400, "'dev.nope'"],
    ].map(([body, ...rest]) => [
      { ...(body as Record<string, unknown>), ...(Array.isArray((body as { connections?: unknown }).connections) ? { connections: ((body as { connections: Array<Record<string, unknown>> }).connections).map((c) => (c.hostname === '__SELF__' ? { hostname: node.host } : c)) } : {}) },
      ...rest,
    ]) as Case[]);
  });

  test('cluster_verify with bad input', async () => {
    assertError(await node.op({ operation: 'cluster_verify', database: 'nodb' }), 404, "'nodb'");
    assertError(await node.op({ operation: 'cluster_verify', database: 'dev', table: 'nope' }), 404, "'dev.nope'");
    assertError(await node.op({ operation: 'cluster_verify', repair: 'yes' }), 400, "'repair'", 'boolean');
    await assertNothingCreated();
  });

  test('the node keeps serving after all of it', async () => {
    assert.deepEqual(await node.ok({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['id', 'name'] }), [{ id: 1, name: 'Rex' }]);
    await node.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 2, name: 'Fido' }] });
    assert.deepEqual([...(await tableState(node, 'dev', 'dog')).keys()].sort(), ['1', '2']);
    const status = await node.ok({ operation: 'cluster_status' });
    assert.equal(status.node_name, node.host);
    // A good add_node still works after all the bad ones.
    const body = await node.ok({ operation: 'add_node', hostname: OTHER });
    assert.match(body.message, /127\.0\.0\.99/);
    assert.deepEqual([...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()].sort(), [...nodeRows, JSON.stringify(OTHER)].sort());
    await node.ok({ operation: 'remove_node', hostname: OTHER });
    await assertNothingCreated();
    assert.doesNotMatch(node.stderr, /uncaught|unhandled/i);
  });
});
