/**
 * Replication on the operations port (issue 11, item 6; the seed: "By default replication will
 * connect on the operations API network interface/port"): with neither `replication.port` nor
 * `replication.securePort`, replication upgrades are served on the ops listeners (ws on the
 * HTTP port, wss on the HTTPS port) and a route without a port dials the peer's ops port.
 * Setting a replication port moves it off the ops port.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../../node-core/replication/protocol.ts';
import { REPLICATION_PORT, startClusterNode, waitForConvergence, waitForLink } from '../support/cluster.ts';
import { ADMIN, freshLoopbackAddress, NodeProcess } from '../support/node-process.ts';

const OPS_PORT = 9925;
const OPS_SECURE_PORT = 9926;
const ON_OPS_PORT = ['--REPLICATION_PORT=null', '--REPLICATION_SECUREPORT=null', '--LOGGING_LEVEL=info'];

interface Status {
  url: string | null;
  connections: Array<{ name: string; url: string | null; database_sockets: Array<{ database: string; connected: boolean }> }>;
}

/** How a replication WebSocket dial to `url` ends: 'open', or the HTTP status / error that refused it. */
function tryUpgrade(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, SUBPROTOCOL, { rejectUnauthorized: false, handshakeTimeout: 5_000 });
    socket.once('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(`HTTP ${res.statusCode}`);
      socket.terminate();
    });
    socket.once('error', (error) => resolve(`error: ${error.message}`));
  });
}

/** POST an operation over HTTPS to a node with a self-signed certificate (admin Basic auth). */
function httpsOperation(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: 'POST',
      rejectUnauthorized: false,
      headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64') },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('replication on the ops HTTP port (no replication port set)', () => {
  let nodes: NodeProcess[] = [];
  before(async () => {
    const hosts = [freshLoopbackAddress(), freshLoopbackAddress(), freshLoopbackAddress()];
    // Routes name only hosts: they dial the peers' ops port.
    nodes = await Promise.all(
      hosts.map((host) => NodeProcess.start({ host, port: OPS_PORT, args: [...ON_OPS_PORT, `--REPLICATION_ROUTES=${JSON.stringify(hosts.filter((h) => h !== host))}`] })),
    );
    await nodes[0]!.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    for (const node of nodes) for (const peer of nodes) if (peer !== node) await waitForLink(node, peer.host, 'dev');
  });
  after(async () => Promise.all(nodes.map((node) => node.cleanup())));

  test('each node advertises and dials ws://<host>:<ops port>, and every link is up', async () => {
    for (const node of nodes) {
      const status = await node.ok<Status>({ operation: 'cluster_status' });
      assert.equal(status.url, `ws://${node.host}:${OPS_PORT}`);
      for (const connection of status.connections) {
        assert.equal(connection.url, `ws://${connection.name}:${OPS_PORT}`);
        assert.ok(connection.database_sockets.every((s) => s.connected), JSON.stringify(connection));
      }
    }
  });

  test('writes replicate over the ops port, and operations still answer on it', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'from a' }] });
    await c.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 3, name: 'from c' }] });
    await waitForConvergence(nodes, 'dev', 'dog', { expectKeys: ['1', '3'] });
    const network = await b.ok<{ members: Array<{ status: string }> }>({ operation: 'cluster_network' });
    assert.deepEqual(network.members.map((m) => m.status), ['ok', 'ok', 'ok']);
  });

  test('an upgrade without the replication subprotocol is closed; a plain GET still serves', async () => {
    const [a] = nodes as [NodeProcess];
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://${a.host}:${OPS_PORT}`, 'not-replication');
      socket.once('close', (code) => resolve(code));
      socket.once('error', () => resolve(-1));
    });
    assert.ok(closed === 4002 || closed === -1, `closed with ${closed}`);
    const response = await fetch(`http://${a.host}:${OPS_PORT}/`);
    assert.equal(response.status, 200);
  });
});

describe('replication on the ops HTTPS port (no replication port set)', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    const args = [...ON_OPS_PORT, `--OPERATIONSAPI_NETWORK_SECUREPORT=${OPS_SECURE_PORT}`];
    [a, b] = await Promise.all([NodeProcess.start({ args }), NodeProcess.start({ args })]);
  });
  after(async () => Promise.all([a, b].map((node) => node?.cleanup())));

  test('advertises wss://<host>:<ops HTTPS port>; add_node over it cross-signs and the link runs on mutual TLS there', async () => {
    for (const node of [a, b]) assert.equal((await node.ok<Status>({ operation: 'cluster_status' })).url, `wss://${node.host}:${OPS_SECURE_PORT}`);
    await a.ok({ operation: 'add_node', hostname: b.host, verify_tls: false, authorization: { username: ADMIN.username, password: ADMIN.password } });
    await waitForLink(a, b.host, 'system');
    await waitForLink(b, a.host, 'system');
    for (const [node, peer] of [[a, b], [b, a]] as const) {
      const connection = (await node.ok<Status>({ operation: 'cluster_status' })).connections.find((c) => c.name === peer.host)!;
      assert.equal(connection.url, `wss://${peer.host}:${OPS_SECURE_PORT}`);
    }
    await a.ok({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'id' });
    await a.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ id: 'tls', name: 'over the ops HTTPS port' }] });
    await waitForConvergence([a, b], 'dev', 'cat', { expectKeys: ['"tls"'] });
    // Operations over HTTPS still answer on the same port, with no client certificate.
    const answer = await httpsOperation(`https://${a.host}:${OPS_SECURE_PORT}/`, { operation: 'cluster_status' });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(JSON.parse(answer.body).node_name, a.host);
  });
});

describe('a replication port moves replication off the ops port', () => {
  let node: NodeProcess;
  before(async () => {
    node = await startClusterNode({});
  });
  after(async () => node?.cleanup());

  test('replication.port set: the ops port refuses replication upgrades, the replication port takes them', async () => {
    assert.equal((await node.ok<Status>({ operation: 'cluster_status' })).url, `ws://${node.host}:${REPLICATION_PORT}`);
    assert.equal(await tryUpgrade(`ws://${node.host}:${node.port}`), 'HTTP 404');
    assert.equal(await tryUpgrade(`ws://${node.host}:${REPLICATION_PORT}`), 'open');
  });
});
