// Unit tests of electron/node-lifecycle.ts with a real embedded node in a temporary directory
// (no Electron, no mocks): states, the launch token, restart keeping data and port, coalescing,
// and a bad configuration surfacing as 'failed' with the ConfigError's message.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeerdeskError, type LocalNodeState } from '../../electron/ipc/contract.ts';
import { NodeLifecycle, type NodeLifecycleOptions } from '../../electron/node-lifecycle.ts';
import { postOperation } from '../../electron/ops-http.ts';
import { startNode } from '../../node-core/index.ts';

let dir: string;
let count = 0;
const lifecycles: NodeLifecycle[] = [];

/** A lifecycle on a fresh root; every one made is stopped after the suite. */
function lifecycle(options: Partial<NodeLifecycleOptions> = {}): NodeLifecycle {
  const made = new NodeLifecycle({ rootPath: path.join(dir, `node-${++count}`), env: {}, ...options });
  lifecycles.push(made);
  return made;
}

async function op(url: string, token: string | null, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await postOperation(url, JSON.stringify(body), { headers });
  return { status: response.status, body: JSON.parse(response.body) };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-lifecycle-'));
});

after(async () => {
  for (const made of lifecycles) await made.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('NodeLifecycle', () => {
  test('start → running on loopback, with a token that system_information accepts', async () => {
    const node = lifecycle();
    const states: LocalNodeState[] = [];
    node.onState((status) => states.push(status.state));
    assert.equal(node.status().state, 'stopped');
    assert.equal(node.localNode().token, null);

    const status = await node.start();
    assert.equal(status.state, 'running', JSON.stringify(status.error));
    assert.deepEqual(states, ['starting', 'running']);
    assert.match(status.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(status.replicationUrl ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(status.nodeName, '127.0.0.1');
    assert.equal(status.error, null);

    const info = node.localNode();
    assert.ok(info.token, 'a launch token while running');
    assert.equal(info.username, 'admin');
    assert.ok((info.tokenExpiresAt ?? 0) > Date.now() + 60_000, 'the token lives for the configured timeout');
    const answer = await op(info.url!, info.token, { operation: 'system_information', attributes: ['system'] });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.system.node_name, '127.0.0.1');
    assert.equal((await op(info.url!, null, { operation: 'system_information' })).status, 401);

    // The first start generated an admin password; it goes nowhere near the renderer's view.
    const generated = node.node?.generatedAdminPassword;
    assert.ok(generated, 'the node generated a first admin password');
    assert.ok(!JSON.stringify(info).includes(generated));
    assert.ok(!JSON.stringify(node.logs(2000)).includes(generated));
    assert.ok(node.logs().some((line) => line.message === 'Node started'));
    assert.equal(node.logs(1).length, 1);

    // The same token is handed out again while it is young.
    assert.equal(node.localNode().token, info.token);
  });

  test('restart keeps the data and the port; stop → stopped and the URL stops answering', async () => {
    const node = lifecycle();
    const first = await node.start();
    assert.equal(first.state, 'running');
    const url = first.url!;
    const token = node.localNode().token;
    assert.equal((await op(url, token, { operation: 'create_database', database: 'keep' })).status, 200);
    assert.equal((await op(url, token, { operation: 'create_table', database: 'keep', table: 'things', primary_key: 'id' })).status, 200);
    const insert = await op(url, token, { operation: 'insert', database: 'keep', table: 'things', records: [{ id: 1, name: 'kept' }] });
    assert.equal(insert.status, 200, JSON.stringify(insert.body));

    const states: LocalNodeState[] = [];
    node.onState((status) => states.push(status.state));
    const restarted = await node.restart();
    assert.equal(restarted.state, 'running');
    assert.deepEqual(states, ['stopping', 'stopped', 'starting', 'running']);
    assert.equal(restarted.url, url, 'the same port is reused, so the UI keeps its origin');
    assert.equal(restarted.replicationUrl, first.replicationUrl);
    const read = await op(url, node.localNode().token, { operation: 'search_by_id', database: 'keep', table: 'things', ids: [1], get_attributes: ['*'] });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body[0]?.name, 'kept');

    const stopped = await node.stop();
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.url, null);
    assert.equal(node.localNode().token, null);
    await assert.rejects(op(url, null, { operation: 'system_information' }), (error: PeerdeskError) => error.code === 'NETWORK');
    assert.ok(node.logs().some((line) => line.message === 'Node stopped'), 'the last node\'s log stays readable');
    assert.equal((await node.stop()).state, 'stopped', 'stopping a stopped node is a no-op');
  });

  test('a second start while starting is coalesced into one; queued requests run in order', async () => {
    let calls = 0;
    const node = lifecycle({
      startNode: (options) => {
        calls += 1;
        return startNode(options);
      },
    });
    const [a, b] = await Promise.all([node.start(), node.start()]);
    assert.equal(calls, 1, 'one startNode for two starts');
    assert.equal(a.state, 'running');
    assert.deepEqual(a, b);
    assert.equal((await node.start()).state, 'running');
    assert.equal(calls, 1, 'start while running starts nothing');

    const [stopA, stopB] = await Promise.all([node.stop(), node.stop()]);
    assert.equal(stopA.state, 'stopped');
    assert.deepEqual(stopA, stopB);

    // start, stop, start: each waits for the one before; the last word wins.
    const states: LocalNodeState[] = [];
    node.onState((status) => states.push(status.state));
    const results = await Promise.all([node.start(), node.stop(), node.start()]);
    assert.deepEqual(results.map((status) => status.state), ['running', 'stopped', 'running']);
    assert.deepEqual(states, ['starting', 'running', 'stopping', 'stopped', 'starting', 'running']);
    assert.equal(calls, 3);
    assert.equal(node.status().state, 'running');
  });

  test('a bad configuration file surfaces as failed with the ConfigError message; fixing it lets it start', async () => {
    const node = lifecycle();
    fs.mkdirSync(node.rootPath, { recursive: true });
    const configFile = path.join(node.rootPath, 'harperdb-config.yaml');
    fs.writeFileSync(configFile, 'logging:\n  level: loud\n');
    const failed = await node.start();
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, 'CONFIG');
    assert.match(failed.error?.message ?? '', /logging\.level = "loud".*expected one of/);
    assert.equal(failed.url, null);
    assert.equal(node.localNode().token, null);

    fs.writeFileSync(configFile, 'logging:\n  level: info\n');
    const fixed = await node.start();
    assert.equal(fixed.state, 'running', JSON.stringify(fixed.error));
    assert.equal(fixed.error, null);
    // Our flags win over the file: loopback whatever it says.
    assert.equal(node.node?.config.operationsApi.network.host, '127.0.0.1');
  });

  test('the configuration file cannot widen the listeners beyond loopback', async () => {
    const node = lifecycle();
    fs.mkdirSync(node.rootPath, { recursive: true });
    fs.writeFileSync(
      path.join(node.rootPath, 'harperdb-config.yaml'),
      'operationsApi:\n  network:\n    host: 0.0.0.0\n    port: 9925\nreplication:\n  hostname: node.example.com\n',
    );
    const status = await node.start();
    assert.equal(status.state, 'running', JSON.stringify(status.error));
    assert.match(status.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(status.url, 'http://127.0.0.1:9925');
    assert.equal(status.nodeName, '127.0.0.1');
  });

  test('a taken port from the last run falls back to any free port', async () => {
    const node = lifecycle();
    const first = await node.start();
    const port = Number(new URL(first.url!).port);
    await node.stop();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const second = await node.start();
      assert.equal(second.state, 'running', JSON.stringify(second.error));
      assert.notEqual(second.url, first.url);
    } finally {
      blocker.close();
    }
  });

  test('the launch token is issued again once half its life is over', async () => {
    const node = lifecycle({ extraArgv: ['--authentication.operationTokenTimeout=2s'] });
    assert.equal((await node.start()).state, 'running');
    const first = node.localNode();
    assert.ok(first.token && first.tokenExpiresAt);
    assert.ok(first.tokenExpiresAt - Date.now() <= 2000);
    await sleep(Math.max(0, first.tokenExpiresAt - 1000 - Date.now()) + 50);
    const second = node.localNode();
    assert.notEqual(second.token, first.token);
    assert.equal((await op(second.url!, second.token, { operation: 'user_info' })).status, 200);
  });

  test('no active super_user: getting the token says so (NO_ADMIN)', async () => {
    const node = lifecycle();
    assert.equal((await node.start()).state, 'running');
    await node.node!.services.users.alter({ username: 'admin', active: false }, null);
    assert.throws(() => node.localNode(), (error: PeerdeskError) => {
      assert.equal(error.code, 'NO_ADMIN');
      assert.match(error.message, /no active super_user/);
      return true;
    });
  });
});
