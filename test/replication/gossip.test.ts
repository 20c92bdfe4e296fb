/**
 * Gossip discovery (SPEC 4.7) and add_node with credentials (SPEC 3): a node that joins one
 * member of a cluster links with every member, both ways, without being told; a refused join
 * leaves nothing behind; the credentials given to add_node are never written or returned.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClusterNode, tableState, waitFor, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';

/** Every file under `dir` (recursively) whose bytes contain any of `needles`. */
function filesContaining(dir: string, needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) hits.push(...filesContaining(full, needles));
    else if (entry.isFile()) {
      const bytes = fs.readFileSync(full);
      for (const needle of needles) if (bytes.includes(needle)) hits.push(`${full} contains ${JSON.stringify(needle.toString('utf8'))}`);
    }
  }
  return hits;
}

async function nodeNames(node: NodeProcess): Promise<string[]> {
  return [...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()].map((k) => JSON.parse(k) as string).sort();
}

describe('gossip: joining one member joins the whole cluster', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;
  let d: NodeProcess;
  /** every response body received in this file, to check none carries the password */
  const responses: string[] = [];
  const record = <T>(body: T): T => {
    responses.push(JSON.stringify(body));
    return body;
  };

  before(async () => {
    const hostA = freshLoopbackAddress();
    const hostB = freshLoopbackAddress();
    [a, b, c, d] = await Promise.all([
      startClusterNode({ host: hostA, routes: [hostB] }),
      startClusterNode({ host: hostB, routes: [hostA] }),
      startClusterNode({}),
      startClusterNode({}),
    ]);
    await a.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await waitForLink(a, b.host, 'dev');
    await waitForLink(b, a.host, 'dev');
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'before-join', name: 'written before C joined' }] });
    await waitForConvergence([a, b], 'dev', 'dog', { expectKeys: ['"before-join"'] });
    // C has data of its own before it joins: it must reach the cluster too.
    await c.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await c.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'c-before-join', name: 'C alone' }] });
  });
  after(async () => {
    await Promise.all([a, b, c, d].map((n) => n?.cleanup()));
  });

  test('add_node with a wrong password is refused with "Login failed" and creates nothing', async () => {
    const response = await d.op({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: 'wrong-password' } });
    record(response.body);
    assert.ok(response.status >= 400 && response.status < 600, `status ${response.status}: ${JSON.stringify(response.body)}`);
    assert.match((response.body as { error: string }).error, /Login failed/);
    // Nothing half-created on either side.
    assert.deepEqual(await nodeNames(d), [d.host]);
    assert.ok(!(await nodeNames(b)).includes(d.host), 'B must not record the refused node');
    const status = record(await d.ok({ operation: 'cluster_status' }));
    assert.deepEqual(status.connections, [], JSON.stringify(status));
    const routes = record(await d.ok({ operation: 'cluster_get_routes' }));
    assert.deepEqual(routes, []);
    // A wrong username is refused the same way.
    const unknownUser = await d.op({ operation: 'add_node', hostname: b.host, authorization: { username: 'nobody', password: ADMIN.password } });
    record(unknownUser.body);
    assert.ok(unknownUser.status >= 400 && unknownUser.status < 600, JSON.stringify(unknownUser));
    assert.match((unknownUser.body as { error: string }).error, /Login failed/);
    assert.deepEqual(await nodeNames(d), [d.host]);
    // B keeps serving and its link with A is untouched.
    await waitForLink(b, a.host, 'dev');
  });

  test('C joins B with credentials and links with A both ways without being told', async () => {
    const body = record(await c.ok({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: ADMIN.password } }));
    assert.match(body.message, new RegExp(b.host.replace(/\./g, '\\.')));
    await waitForLink(c, b.host, 'system');
    await waitForLink(b, c.host, 'system');
    // Gossip: A and C learn of each other through hdb_nodes and link for every database.
    for (const database of ['system', 'dev']) {
      await waitForLink(a, c.host, database);
      await waitForLink(c, a.host, database);
      await waitForLink(c, b.host, database);
    }
    const all = [a.host, b.host, c.host].sort();
    await waitFor('every node to know every node', async () => {
      const names = await Promise.all([a, b, c].map(nodeNames));
      return names.every((n) => JSON.stringify(n) === JSON.stringify(all));
    });
    // C got what was written before it joined, and the cluster got what C had.
    await waitForConvergence([a, b, c], 'dev', 'dog', { expectKeys: ['"before-join"', '"c-before-join"'] });
  });

  test('writes on A reach C and writes on C reach A (and B)', async () => {
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'from-a', name: 'A' }] });
    await c.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'from-c-1', name: 'C' }, { id: 'from-c-2', name: 'C2' }] });
    await b.ok({ operation: 'upsert', database: 'dev', table: 'dog', records: [{ id: 'from-b', name: 'B' }] });
    const state = await waitForConvergence([a, b, c], 'dev', 'dog', { expectKeys: ['"before-join"', '"c-before-join"', '"from-a"', '"from-b"', '"from-c-1"', '"from-c-2"'] });
    assert.equal(state.get('"from-c-2"')!.name, 'C2');
    await waitForVersionsAgree([a, b, c], 'dev', 'dog');
    // A and C are linked directly, not only through B.
    for (const [node, peer] of [[a, c], [c, a]] as const) {
      const status = record(await node.ok({ operation: 'cluster_status' }));
      const connection = status.connections.find((x: { name: string }) => x.name === peer.host);
      assert.ok(connection, `${node.host} has no connection to ${peer.host}: ${JSON.stringify(status)}`);
      assert.equal(connection.database_sockets.find((s: { database: string }) => s.database === 'dev').connected, true);
    }
  });

  test('the add_node password is in no file under any node root and in no response', async () => {
    const more: unknown[] = [];
    for (const node of [a, b, c, d]) {
      more.push(await node.ok({ operation: 'cluster_status' }));
      more.push(await node.ok({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' }));
      more.push(await node.ok({ operation: 'read_log', limit: 10_000 }));
      more.push(await node.ok({ operation: 'get_configuration' }));
      more.push(await node.ok({ operation: 'cluster_get_routes' }));
      more.push(await node.ok({ operation: 'system_information' }));
    }
    for (const body of more) record(body);
    const secrets = [ADMIN.password, basicAuth(ADMIN.username, ADMIN.password).slice('Basic '.length), 'wrong-password'];
    for (const text of responses) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a response contains ${secret}: ${text.slice(0, 500)}`);
    }
    for (const node of [a, b, c, d]) {
      for (const secret of secrets) assert.ok(!node.stderr.includes(secret), `${node.host} stderr contains ${secret}`);
    }
    // Stop the nodes so every buffered write is on disk, then grep the roots (LMDB files included).
    await Promise.all([a, b, c, d].map((n) => n.stop()));
    const needles = secrets.map((s) => Buffer.from(s, 'utf8'));
    const hits = [a, b, c, d].flatMap((node) => filesContaining(node.root, needles));
    assert.deepEqual(hits, []);
    // The scan does read LMDB files: a peer's name stored in hdb_nodes is found in system.mdb.
    const control = filesContaining(c.root, [Buffer.from(a.host, 'utf8')]);
    assert.ok(control.some((hit) => hit.includes('system.mdb')), `control scan found: ${JSON.stringify(control)}`);
  });
});
