/**
 * Own certificates and rotation (SPEC 3, issue 4 tests 5 and 8). A private CA made in the test
 * issues a certificate for each node name. Node A gets its certificate, key and the CA as files
 * through `tls.certificate` / `tls.privateKey` / `tls.certificateAuthority` (CLI flags); node B
 * gets them through add_certificate (the CA with is_authority true). Routes link them: no
 * credentials, no cross-signing, and replication works over mutual TLS with those certificates.
 * Then B's certificate is replaced with add_certificate (same name, a new certificate for the
 * same node): the listener serves the new one at once (read with a bare TLS handshake) and new
 * links present it, without a restart: revoking the old serial on A leaves B linked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SECURE_REPLICATION_PORT, startClusterNode, waitFor, waitForConvergence, waitForLink } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { createTestAuthority, issueTestCertificate, rawReplicationHello, servedCertificate, type TestAuthority, type TestCertificate } from '../support/pki.ts';

type Row = Record<string, any>;

async function connection(node: NodeProcess, peer: string): Promise<Row> {
  const status = await node.ok<{ connections: Row[] }>({ operation: 'cluster_status' });
  const found = status.connections.find((c) => c.name === peer);
  assert.ok(found, `${node.host} has no connection to ${peer}: ${JSON.stringify(status)}`);
  return found;
}

describe('own certificates from a private CA, by tls.* files and by add_certificate', () => {
  const hostA = freshLoopbackAddress();
  const hostB = freshLoopbackAddress();
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-own-certs-'));
  let a: NodeProcess;
  let b: NodeProcess;
  let privateCa: TestAuthority;
  let certA: TestCertificate;
  let certB: TestCertificate;

  before(async () => {
    privateCa = await createTestAuthority('Peerdesk Test Private CA');
    [certA, certB] = await Promise.all([issueTestCertificate(privateCa, hostA), issueTestCertificate(privateCa, hostB)]);
    fs.writeFileSync(path.join(files, 'a.crt'), certA.certificate);
    fs.writeFileSync(path.join(files, 'a.key'), certA.privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(files, 'ca.crt'), privateCa.certificate);
    [a, b] = await Promise.all([
      startClusterNode({
        host: hostA,
        secure: true,
        routes: [hostB],
        args: [`--TLS_CERTIFICATE=${path.join(files, 'a.crt')}`, `--TLS_PRIVATEKEY=${path.join(files, 'a.key')}`, `--TLS_CERTIFICATEAUTHORITY=${path.join(files, 'ca.crt')}`],
      }),
      startClusterNode({ host: hostB, secure: true }),
    ]);
  });
  after(async () => {
    await Promise.all([a, b].map((node) => node?.cleanup()));
    fs.rmSync(files, { recursive: true, force: true });
  });

  test('A loads its tls.* files as certificate rows and serves its certificate from the private CA', async () => {
    const rows = await a.ok<Row[]>({ operation: 'list_certificates' });
    const certificate = rows.find((row) => row.name === 'tls-certificate');
    const authority = rows.find((row) => row.name === 'tls-certificateAuthority');
    assert.ok(certificate && authority, JSON.stringify(rows.map((row) => row.name)));
    assert.equal(certificate.details.serial_number, certA.serial);
    assert.equal(certificate.details.issuer, privateCa.subject);
    assert.equal(authority.is_authority, true);
    assert.ok(!JSON.stringify(rows).includes('PRIVATE KEY'));
    // The listener presents the configured certificate, not the generated one.
    const served = await servedCertificate(hostA, SECURE_REPLICATION_PORT);
    assert.equal(served.serial, certA.serial);
    assert.match(served.issuer, /CN=Peerdesk Test Private CA/);
    // The key is kept as a 0600 file under keys/ too.
    for (const file of fs.readdirSync(path.join(a.root, 'keys'))) assert.equal(fs.statSync(path.join(a.root, 'keys', file)).mode & 0o777, 0o600, file);
  });

  test('B takes its certificate and the CA by add_certificate, routes link A and B over mTLS without cross-signing', async () => {
    assert.deepEqual(
      await b.ok({ operation: 'add_certificate', name: 'private-ca', certificate: privateCa.certificate, is_authority: true }),
      { message: 'Successfully added certificate: private-ca' },
    );
    assert.deepEqual(
      await b.ok({ operation: 'add_certificate', name: 'b-private', certificate: certB.certificate, private_key: certB.privateKey }),
      { message: 'Successfully added certificate: b-private' },
    );
    // At once, without a restart, B's listener serves it.
    await waitFor('B to serve its new certificate', async () => (await servedCertificate(hostB, SECURE_REPLICATION_PORT)).serial === certB.serial);
    await b.ok({ operation: 'cluster_set_routes', routes: [hostA] });
    await b.ok({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'id' });
    for (const database of ['system', 'dev']) {
      await waitForLink(a, hostB, database, 30_000);
      await waitForLink(b, hostA, database, 30_000);
    }
    for (const [node, peer] of [[a, hostB], [b, hostA]] as const) {
      const found = await connection(node, peer);
      assert.equal(found.url, `wss://${peer}:${SECURE_REPLICATION_PORT}`);
      assert.equal(found.from_route, true);
    }
    // No cross-signing happened: nobody holds a certificate issued by the other's CA.
    for (const node of [a, b]) {
      const names = (await node.ok<Row[]>({ operation: 'list_certificates' })).map((row) => row.name);
      assert.ok(!names.some((name) => name.includes('-issued-by-')), JSON.stringify(names));
    }
    await a.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ id: 1, from: 'A' }] });
    await b.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ id: 2, from: 'B' }] });
    await waitForConvergence([a, b], 'dev', 'cat', { expectKeys: ['1', '2'] });
  });

  test('rotation: B replaces its certificate with add_certificate; new links use it without a restart', async () => {
    const rotated = await issueTestCertificate(privateCa, hostB);
    assert.notEqual(rotated.serial, certB.serial);
    await b.ok({ operation: 'add_certificate', name: 'b-private', certificate: rotated.certificate, private_key: rotated.privateKey });
    const rows = await b.ok<Row[]>({ operation: 'list_certificates' });
    assert.equal(rows.filter((row) => row.name === 'b-private').length, 1);
    assert.equal(rows.find((row) => row.name === 'b-private')!.details.serial_number, rotated.serial);
    // The listener serves the new certificate to the next connection (bare TLS handshake).
    await waitFor('B to serve the rotated certificate', async () => (await servedCertificate(hostB, SECURE_REPLICATION_PORT)).serial === rotated.serial);
    // A replication client sees it too.
    const outcome = await rawReplicationHello(`wss://${hostB}:${SECURE_REPLICATION_PORT}`, { node: hostA, credentials: { cert: certA.certificate, key: certA.privateKey } });
    assert.equal(outcome.serverSerial, rotated.serial);
    // A revokes B's old certificate: links made with it close, new ones (B's rotated
    // certificate, both as client and as server) come up without restarting anything.
    await a.ok({ operation: 'update_node', hostname: hostB, revoked_certificates: [certB.serial] });
    await waitFor('a link of A and B to be dropped or renewed', async () => {
      const lines = await a.ok<Row[]>({ operation: 'read_log', level: 'warn', limit: 10_000 });
      return lines.some((line) => line.message === 'Closed replication link: peer certificate revoked' && line.serial === certB.serial.replace(/^0+/, ''));
    });
    for (const database of ['system', 'dev']) {
      await waitForLink(a, hostB, database, 30_000);
      await waitForLink(b, hostA, database, 30_000);
    }
    await b.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ id: 3, from: 'B rotated' }] });
    await a.ok({ operation: 'insert', database: 'dev', table: 'cat', records: [{ id: 4, from: 'A' }] });
    await waitForConvergence([a, b], 'dev', 'cat', { expectKeys: ['1', '2', '3', '4'] });
    // No refusal of B happened for its rotated certificate.
    const refused = (await a.ok<Row[]>({ operation: 'read_log', level: 'warn', limit: 10_000 })).filter((line) => line.message === 'Refused replication peer' && line.peer === hostB);
    assert.ok(refused.every((line) => !line.reason.includes(rotated.serial)), JSON.stringify(refused));
  });

  test('removing the added certificate falls back to the generated one at once', async () => {
    await b.ok({ operation: 'remove_certificate', name: 'b-private' });
    const own = (await b.ok<Row[]>({ operation: 'list_certificates' })).find((row) => row.name === hostB)!;
    await waitFor('B to serve its generated certificate again', async () => (await servedCertificate(hostB, SECURE_REPLICATION_PORT)).serial === own.details.serial_number);
    // B's key file for the removed certificate is gone.
    assert.ok(!fs.readdirSync(path.join(b.root, 'keys')).some((file) => file.startsWith('b-private')));
  });
});
