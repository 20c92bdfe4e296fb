/**
 * Node operations against a real node: system_information, get_configuration and read_log,
 * plus the operation-level contract every request shares (unknown operation, missing
 * operation field, permissions).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { addUser, assertError, createTable, insert } from '../support/ops.ts';

let node: NodeProcess;
let user: string;
before(async () => {
  node = await NodeProcess.start();
  user = await addUser(node, 'node_user', 'user');
});
after(async () => node?.cleanup());

describe('system_information', () => {
  test('reports system, time, cpu, memory and per-database metrics', async () => {
    await createTable(node, 'sysinfo_db', 'dog');
    await insert(node, 'sysinfo_db', 'dog', [{ id: 1 }, { id: 2 }]);
    const info = await node.ok({ operation: 'system_information' });
    assert.deepEqual(Object.keys(info).sort(), ['cpu', 'database_metrics', 'disk', 'harperdb_processes', 'memory', 'network', 'system', 'time']);
    assert.equal(info.system.node_name, node.host);
    assert.equal(info.system.platform, process.platform);
    assert.equal(info.system.node_version, process.version);
    assert.equal(typeof info.time.current, 'number');
    assert.ok(info.time.node_uptime_ms >= 0);
    assert.ok(!Number.isNaN(Date.parse(info.time.started)));
    assert.ok(info.cpu.cores >= 1);
    assert.ok(info.memory.total > 0 && info.memory.rss > 0);
    assert.ok(info.disk.size[0].size > 0 && info.disk.size[0].available >= 0);
    assert.ok(info.network.interfaces.some((i: { address: string; internal: boolean }) => i.internal && i.address === '127.0.0.1'));
    assert.equal(typeof info.harperdb_processes.core[0].pid, 'number');
    assert.equal(info.database_metrics.sysinfo_db.tables.dog.record_count, 2);
    assert.ok(info.database_metrics.sysinfo_db.size_bytes > 0);
    assert.ok(info.database_metrics.sysinfo_db.log_entries >= 2, 'create_table and insert were logged');
    assert.ok(info.database_metrics.system.tables.hdb_user.record_count >= 2);
  });

  test('attributes selects sections; only a super_user may ask (issue 10 item 7)', async () => {
    const response = await node.op({ operation: 'system_information', attributes: ['system', 'memory'] });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['memory', 'system']);
    assertError(await node.op({ operation: 'system_information', attributes: ['system', 'memory'] }, user), 403, 'super_user');
  });

  test('each section HarperDB names can be asked for on its own', async () => {
    for (const section of ['system', 'time', 'cpu', 'memory', 'disk', 'network', 'database_metrics', 'harperdb_processes']) {
      const info = await node.ok({ operation: 'system_information', attributes: [section] });
      assert.deepEqual(Object.keys(info), [section]);
    }
  });

  test('an unknown or wrong-typed attributes field is a 400', async () => {
    assertError(await node.op({ operation: 'system_information', attributes: ['bogus'] }), 400, "'attributes[0]'");
    assertError(await node.op({ operation: 'system_information', attributes: 'system' }), 400, "'attributes' must be an array");
  });
});

describe('get_configuration', () => {
  test("returns the node's configuration with the config file path and node name", async () => {
    const config = await node.ok({ operation: 'get_configuration' });
    assert.equal(config.node_name, node.host);
    assert.equal(config.rootPath, node.root);
    assert.equal(typeof config.config_file, 'string');
    assert.ok(config.config_file.startsWith(node.root));
    assert.equal(config.operationsApi.network.port, node.port);
    assert.equal(config.replication.hostname, node.host);
    assert.equal(config.logging.level, 'warn');
    assert.ok(!JSON.stringify(config).includes('test-password'), 'the admin password is not part of the configuration');
  });

  test('needs super_user', async () => {
    assertError(await node.op({ operation: 'get_configuration' }, user), 403, "Operation 'get_configuration' requires the super_user role");
  });
});

describe('read_log', () => {
  test('returns recent log lines, newest first, with level, message and timestamp', async () => {
    const lines = await node.ok({ operation: 'read_log' });
    assert.ok(Array.isArray(lines) && lines.length >= 1);
    for (const line of lines) {
      assert.equal(typeof line.level, 'string');
      assert.equal(typeof line.message, 'string');
      assert.ok(!Number.isNaN(Date.parse(line.timestamp)));
    }
    const started = lines.find((line: { message: string }) => line.message === 'Node started');
    assert.ok(started, 'the start notice is logged');
    assert.equal(started.level, 'notify');
    assert.equal(started.nodeName, node.host);
    const times = lines.map((line: { timestamp: string }) => Date.parse(line.timestamp));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });

  test('limit, level, from/until and order filter the lines', async () => {
    assert.equal((await node.ok({ operation: 'read_log', limit: 1 })).length, 1);
    const notices = await node.ok({ operation: 'read_log', level: 'notify', order: 'asc' });
    assert.ok(notices.length >= 1);
    assert.ok(notices.every((line: { level: string }) => line.level === 'notify'));
    assert.equal(notices[0].message, 'Node started');
    assert.deepEqual(await node.ok({ operation: 'read_log', until: '2000-01-01T00:00:00Z' }), []);
    assert.ok((await node.ok({ operation: 'read_log', from: '2000-01-01T00:00:00Z' })).length >= 1);
    assert.deepEqual(await node.ok({ operation: 'read_log', start: 100_000 }), []);
  });

  test('wrong-typed fields are 400s naming the field; needs super_user', async () => {
    assertError(await node.op({ operation: 'read_log', limit: 'ten' }), 400, "'limit' must be a number");
    assertError(await node.op({ operation: 'read_log', limit: 0 }), 400, "'limit'");
    assertError(await node.op({ operation: 'read_log', level: 'loud' }), 400, "'level'");
    assertError(await node.op({ operation: 'read_log', from: 'yesterday' }), 400, "'from'");
    assertError(await node.op({ operation: 'read_log', order: 'up' }), 400, "'order'");
    assertError(await node.op({ operation: 'read_log' }, user), 403, "Operation 'read_log' requires the super_user role");
  });
});

describe('every request', () => {
  test("an unknown operation is a 400 naming it; so is a missing or wrong-typed 'operation'", async () => {
    assertError(await node.op({ operation: 'make_coffee' }), 400, "Operation 'make_coffee' not found");
    assertError(await node.op({ database: 'x' }), 400, "'operation' is required");
    assertError(await node.op({ operation: 42 }), 400, "'operation' must be a string");
  });

  test('an unknown operation asked anonymously is a 401, revealing nothing', async () => {
    assertError(await node.op({ operation: 'make_coffee' }, null), 401, 'Must login');
    assertError(await node.op({ operation: 'system_information' }, null), 401, 'Must login');
  });
});
