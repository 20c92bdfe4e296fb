/**
 * Cross-signing through add_node over wss (SPEC 3, issue 4 tests 1-3): two fresh nodes that
 * listen only on the TLS replication port; the first add_node (verify_tls: false, admin
 * credentials) has the target's CA sign the caller's key, and from then on the link is mutual
 * TLS. A third node joins one of them and reaches the other by gossip, also over mTLS. The
 * password given to add_node (and a wrong one tried first) is then searched for everywhere: every
 * file under every root (LMDB files and keys/ included), the logs (read_log and stderr) and every
 * response; key files are 0600 and private keys appear in no response and no hdb_certificate row.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SECURE_REPLICATION_PORT, startClusterNode, tableState, waitFor, waitForConvergence, waitForLink } from '../support/cluster.ts';
import { ADMIN, basicAuth, type NodeProcess } from '../support/node-process.ts';

type Row = Record<string, any>;

/** Every file under `dir` (recursively) whose bytes contain any of `needles`. */
function filesContaining(dir: string, needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) hits.push(...filesContaining(full, needles));
    else if (entry.isFile()) {
      const bytes = fs.readFileSync(full);
      for (const needle of needles) if (bytes.includes(needle)) hits.push(`${full} contains ${JSON.stringify(needle.toString('utf8').slice(0, 60))}`);
    }
  }
  return hits;
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? allFiles(full) : entry.isFile() ? [full] : [];
  });
}

/** The connection to `peer` in cluster_status, with its socket for `database`. */
async function connection(node: NodeProcess, peer: string): Promise<Row> {
  const status = await node.ok<{ connections: Row[] }>({ operation: 'cluster_status' });
  const found = status.connections.find((c) => c.name === peer);
  assert.ok(found, `${node.host} has no connection to ${peer}: ${JSON.stringify(status)}`);
  return found;
}

describe('cross-signing: add_node over wss with credentials, then mutual TLS', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;
  let bearer = '';
  /** every response body received in this file, to check none carries the password or a key */
  const responses: string[] = [];
  const record = <T>(body: T): T => {
    responses.push(JSON.stringify(body));
    return body;
  };

  before(async () => {
    [a, b, c] = await Promise.all([startClusterNode({ secure: true }), startClusterNode({ secure: true }), startClusterNode({ secure: true })]);
    await b.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await b.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'b-before', name: 'on B before the join' }] });
  });
  after(async () => {
    await Promise.all([a, b, c].map((n) => n?.cleanup()));
  });

  test('a fresh node listens only on the TLS port and advertises a wss URL', async () => {
    for (const node of [a, b]) {
      const status = record(await node.ok({ operation: 'cluster_status' }));
      assert.equal(status.url, `wss://${node.host}:${SECURE_REPLICATION_PORT}`);
      assert.deepEqual(status.connections, []);
      const certificates = record(await node.ok<Row[]>({ operation: 'list_certificates' }));
      const names = certificates.map((row) => row.name).sort();
      assert.deepEqual(names, [node.host, `Peerdesk-Certificate-Authority-${node.host}`].sort(), JSON.stringify(certificates));
      const own = certificates.find((row) => row.name === node.host)!;
      assert.match(own.details.issuer, new RegExp(`CN=Peerdesk-Certificate-Authority-${node.host.replace(/\./g, '\\.')}`));
      assert.match(own.details.subject, new RegExp(`CN=${node.host.replace(/\./g, '\\.')}`));
      assert.match(own.details.subject_alt_name, new RegExp(`IP Address:${node.host.replace(/\./g, '\\.')}`));
    }
  });

  test('first contact refused: verify_tls left true (the target CA is unknown yet), or a wrong password; nothing is left behind', async () => {
    const strict = await a.op({ operation: 'add_node', hostname: b.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
    record(strict.body);
    assert.equal(strict.status, 502, JSON.stringify(strict.body));
    assert.match((strict.body as { error: string }).error, /did not present a certificate this node trusts: .*\(SELF_SIGNED_CERT_IN_CHAIN\).*verify_tls: false/);
    const wrong = await a.op({ operation: 'add_node', hostname: b.host, verify_tls: false, authorization: { username: ADMIN.username, password: 'not-the-password' } });
    record(wrong.body);
    assert.equal(wrong.status, 502, JSON.stringify(wrong.body));
    assert.match((wrong.body as { error: string }).error, /Login failed/);
    for (const [node, other] of [[a, b], [b, a]] as const) {
      assert.ok(!(await tableState(node, 'system', 'hdb_nodes', 'name')).has(JSON.stringify(other.host)), `${node.host} recorded ${other.host}`);
      const names = (await node.ok<Row[]>({ operation: 'list_certificates' })).map((row) => row.name);
      assert.equal(names.length, 2, JSON.stringify(names));
    }
  });

  test('add_node with verify_tls false and admin credentials: the link comes up on mutual TLS, certificate signed by the target CA', async () => {
    const body = record(
      await a.ok({ operation: 'add_node', hostname: b.host, verify_tls: false, authorization: { username: ADMIN.username, password: ADMIN.password } }),
    );
    assert.match(body.message, new RegExp(b.host.replace(/\./g, '\\.')));
    for (const database of ['system', 'dev']) {
      await waitForLink(a, b.host, database);
      await waitForLink(b, a.host, database);
    }
    // Both sides see each other at a wss URL with the other's CA.
    for (const [node, peer] of [[a, b], [b, a]] as const) {
      const found = record(await connection(node, peer.host));
      assert.equal(found.url, `wss://${peer.host}:${SECURE_REPLICATION_PORT}`);
      assert.ok(found.ca_info, `${node.host} → ${peer.host}: no ca_info: ${JSON.stringify(found)}`);
      assert.match(found.ca_info.subject, new RegExp(`CN=Peerdesk-Certificate-Authority-${peer.host.replace(/\./g, '\\.')}`));
      assert.ok(found.database_sockets.every((s: Row) => s.connected), JSON.stringify(found));
    }
    // The caller holds a certificate for itself signed by the target's CA, and that CA.
    const certificates = record(await a.ok<Row[]>({ operation: 'list_certificates' }));
    const issued = certificates.find((row) => row.name === `${a.host}-issued-by-${b.host}`);
    assert.ok(issued, JSON.stringify(certificates.map((row) => row.name)));
    assert.match(issued.details.issuer, new RegExp(`CN=Peerdesk-Certificate-Authority-${b.host.replace(/\./g, '\\.')}`));
    assert.match(issued.details.subject, new RegExp(`CN=${a.host.replace(/\./g, '\\.')}`));
    assert.equal(issued.is_authority, false);
    // The signer decided the validity (at most 397 days) and the names.
    const days = (Date.parse(issued.details.valid_to) - Date.parse(issued.details.valid_from)) / 86_400_000;
    assert.ok(days > 0 && days <= 397.01, `validity ${days} days`);
    assert.match(issued.details.subject_alt_name, new RegExp(`IP Address:${a.host.replace(/\./g, '\\.')}`));
    const caRow = certificates.find((row) => row.name === `Peerdesk-Certificate-Authority-${b.host}`);
    assert.ok(caRow, 'the caller stores the target CA');
    assert.equal(caRow.is_authority, true);
    // The target knows the caller's CA through hdb_nodes.
    const nodes = await tableState(b, 'system', 'hdb_nodes', 'name');
    assert.match(String(nodes.get(JSON.stringify(a.host))?.ca), /BEGIN CERTIFICATE/);
  });

  test('data replicates both ways over the mTLS link', async () => {
    await waitForConvergence([a, b], 'dev', 'dog', { expectKeys: ['"b-before"'] });
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'from-a', name: 'A' }] });
    await b.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'from-b', name: 'B' }] });
    const state = await waitForConvergence([a, b], 'dev', 'dog', { expectKeys: ['"b-before"', '"from-a"', '"from-b"'] });
    assert.equal(state.get('"from-a"')!.name, 'A');
  });

  test('the link survives a restart of the target: the caller reconnects by certificate alone', async () => {
    await b.restart();
    for (const database of ['system', 'dev']) {
      await waitForLink(a, b.host, database, 30_000);
      await waitForLink(b, a.host, database, 30_000);
    }
    await b.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'after-restart', name: 'B again' }] });
    await waitForConvergence([a, b], 'dev', 'dog', { expectKeys: ['"b-before"', '"from-a"', '"from-b"', '"after-restart"'] });
  });

  test('gossip over TLS: a third node joins B (with a Bearer operation token) and reaches A by mutual TLS', async () => {
    // An HTTP Authorization value works as well as {username, password}: B's operation token.
    // (The token is a secret too: the response that carries it is not recorded, it is scanned for.)
    const tokens = await b.ok<{ operation_token: string }>({ operation: 'create_authentication_tokens', username: ADMIN.username, password: ADMIN.password });
    bearer = tokens.operation_token;
    // B records C at once, so A may dial C before C has learnt A's CA: C refuses A until
    // hdb_nodes (with A's CA) reaches it from B, and the join itself must not be disturbed.
    record(await c.ok({ operation: 'add_node', hostname: b.host, verify_tls: false, authorization: `Bearer ${bearer}` }));
    for (const database of ['system', 'dev']) {
      for (const [node, peer] of [[c, b], [b, c], [c, a], [a, c]] as const) await waitForLink(node, peer.host, database, 30_000);
    }
    // A and C were never introduced: they trust each other's CA through hdb_nodes.ca.
    for (const [node, peer] of [[a, c], [c, a]] as const) {
      const found = record(await connection(node, peer.host));
      assert.equal(found.url, `wss://${peer.host}:${SECURE_REPLICATION_PORT}`);
      assert.match(found.ca_info?.subject ?? '', new RegExp(`CN=Peerdesk-Certificate-Authority-${peer.host.replace(/\./g, '\\.')}`));
    }
    await waitForConvergence([a, b, c], 'dev', 'dog', { expectKeys: ['"b-before"', '"from-a"', '"from-b"', '"after-restart"'] });
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'a-to-c', name: 'A' }] });
    await c.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'c-to-a', name: 'C' }] });
    await waitForConvergence([a, b, c], 'dev', 'dog', { expectKeys: ['"b-before"', '"from-a"', '"from-b"', '"after-restart"', '"a-to-c"', '"c-to-a"'] });
    // Writes between A and C flow directly (not only relayed by B): stop B and write again.
    await b.stop();
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 'a-without-b', name: 'A' }] });
    await waitFor('C to get a write from A while B is down', async () => (await tableState(c, 'dev', 'dog')).has('"a-without-b"'));
    await b.startProcess();
    await waitForLink(b, a.host, 'dev', 30_000);
    await waitForLink(b, c.host, 'dev', 30_000);
  });

  test('the password is in no file, log line or response; key files are 0600 and private keys are never returned', async () => {
    for (const node of [a, b, c]) {
      record(await node.ok({ operation: 'cluster_status' }));
      record(await node.ok({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' }));
      record(await node.ok({ operation: 'read_log', limit: 10_000 }));
      record(await node.ok({ operation: 'get_configuration' }));
      record(await node.ok({ operation: 'system_information' }));
      record(await node.ok({ operation: 'list_certificates' }));
      record(await node.ok({ operation: 'describe_all' }));
    }
    // hdb_certificate rows (as a super_user can read them) carry no private key.
    const certificateRows: Row[][] = [];
    for (const node of [a, b, c]) {
      const rows = await node.ok<Row[]>({ operation: 'search_by_value', database: 'system', table: 'hdb_certificate', attribute: 'name', value: '*' });
      record(rows);
      assert.ok(rows.length >= 2, `${node.host}: ${rows.length} certificate rows`);
      certificateRows.push(rows);
    }
    // The private keys, as the node holds them, and their key files.
    const privateKeys: string[] = [];
    for (const node of [a, b, c]) {
      const keysDir = path.join(node.root, 'keys');
      const keyFiles = allFiles(keysDir);
      assert.ok(keyFiles.length >= 2, `${node.host}: key files ${JSON.stringify(keyFiles)}`);
      assert.equal(fs.statSync(keysDir).mode & 0o077, 0, `${keysDir} is open to others`);
      for (const file of keyFiles) {
        const mode = fs.statSync(file).mode & 0o777;
        assert.equal(mode, 0o600, `${file} has mode ${mode.toString(8)}`);
        const pem = fs.readFileSync(file, 'utf8');
        if (/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) privateKeys.push(pem);
      }
    }
    // Each node holds at least its CA key and its node key (A and C also use them for the cross-signed certificates).
    assert.ok(privateKeys.length >= 6, `${privateKeys.length} private key files`);
    // Lines from the end of each key's body: the private exponents and coefficient, never in a
    // certificate (the start of a key holds the modulus, which its certificates share).
    const keyNeedles = privateKeys.flatMap((pem) => {
      const lines = pem.trim().split('\n');
      return [lines[lines.length - 3]!, lines[lines.length - 4]!];
    });
    const secrets = [
      ADMIN.password,
      basicAuth(ADMIN.username, ADMIN.password).slice('Basic '.length),
      'not-the-password',
      basicAuth(ADMIN.username, 'not-the-password').slice('Basic '.length),
      bearer,
    ];
    assert.ok(bearer.length > 20);
    for (const text of responses) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a response contains the password: ${text.slice(0, 300)}`);
      assert.ok(!/PRIVATE KEY/.test(text), `a response contains a private key: ${text.slice(0, 300)}`);
      for (const needle of keyNeedles) assert.ok(!text.includes(needle), `a response contains private key material: ${text.slice(0, 300)}`);
    }
    for (const rows of certificateRows) {
      for (const row of rows) {
        assert.ok(!('private_key' in row), `hdb_certificate row ${row.name} has a private_key attribute`);
        assert.ok(!JSON.stringify(row).includes('PRIVATE KEY'), `hdb_certificate row ${row.name} holds a key`);
      }
    }
    for (const node of [a, b, c]) {
      for (const secret of secrets) assert.ok(!node.stderr.includes(secret), `${node.host} stderr contains the password`);
      assert.ok(!node.stderr.includes('PRIVATE KEY'), `${node.host} stderr contains a private key`);
    }
    // Stop the nodes so everything is on disk, then scan every byte of every file under the roots.
    await Promise.all([a, b, c].map((n) => n.stop()));
    const needles = secrets.map((s) => Buffer.from(s, 'utf8'));
    assert.deepEqual([a, b, c].flatMap((node) => filesContaining(node.root, needles)), []);
    // Private keys live only in keys/ (never in a table, the log or the config).
    const keyHits = [a, b, c].flatMap((node) => filesContaining(node.root, keyNeedles.map((n) => Buffer.from(n, 'utf8'))));
    assert.ok(keyHits.length > 0 && keyHits.every((hit) => hit.includes(`${path.sep}keys${path.sep}`)), JSON.stringify(keyHits));
    // The scan does read LMDB files: a peer's name stored in hdb_nodes is found in system.mdb.
    const control = filesContaining(c.root, [Buffer.from(a.host, 'utf8')]);
    assert.ok(control.some((hit) => hit.includes('system.mdb')), `control scan found: ${JSON.stringify(control)}`);
  });
});
