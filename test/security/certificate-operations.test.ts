/**
 * The certificate operations with bad input (SPEC 2 and 3, issue 4 test 7): malformed PEM, a
 * key that does not match its certificate, a missing or unsafe name, is_authority on a leaf,
 * removing an unknown name. Each is answered with a 4xx and a message naming the problem; none
 * changes a row or a key file, and the node keeps serving (its listener still presents the same
 * certificate). Also: a certificate replaced without its key must fit the key held for the name;
 * names that differ only in characters a file name cannot hold keep separate key files;
 * certificates that cannot be used for replication (another name, expired) are stored but never
 * presented; and only super_users may use these operations.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SECURE_REPLICATION_PORT, startClusterNode } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';
import { addUser, assertError } from '../support/ops.ts';
import { createTestAuthority, issueCertificateWithValidity, issueTestCertificate, servedCertificate, type TestAuthority, type TestCertificate } from '../support/pki.ts';

type Row = Record<string, any>;

describe('certificate operations: bad input is refused clearly and changes nothing', () => {
  let node: NodeProcess;
  let authority: TestAuthority;
  let leaf: TestCertificate;
  let other: TestCertificate;
  let rowsBefore: string;
  let keysBefore: string[];
  let servedBefore: string;

  const snapshot = async () => JSON.stringify(await node.ok<Row[]>({ operation: 'list_certificates' }));
  const keyFiles = () => fs.readdirSync(path.join(node.root, 'keys')).sort();

  before(async () => {
    [node, authority] = await Promise.all([startClusterNode({ secure: true }), createTestAuthority('Bad Input Test CA')]);
    [leaf, other] = await Promise.all([issueTestCertificate(authority, node.host), issueTestCertificate(authority, node.host)]);
    rowsBefore = await snapshot();
    keysBefore = keyFiles();
    servedBefore = (await servedCertificate(node.host, SECURE_REPLICATION_PORT)).serial;
  });
  after(async () => {
    await node?.cleanup();
  });

  const add = (body: Record<string, unknown>) => node.op({ operation: 'add_certificate', ...body });

  test('a missing, empty or unsafe name', async () => {
    assertError(await add({ certificate: leaf.certificate, private_key: leaf.privateKey }), 400, "'name'");
    assertError(await add({ name: '', certificate: leaf.certificate }), 400, "'name'");
    assertError(await add({ name: '../../outside', certificate: leaf.certificate, private_key: leaf.privateKey }), 400, "'name'", 'may contain');
    assertError(await add({ name: 42, certificate: leaf.certificate }), 400, "'name'");
    assertError(await node.op({ operation: 'remove_certificate' }), 400, "'name'");
  });

  test('malformed PEM: not PEM at all, PEM armour around garbage, a key where the certificate goes', async () => {
    assertError(await add({ name: 'bad-1' }), 400, "'certificate'");
    assertError(await add({ name: 'bad-1', certificate: 'hello' }), 400, "'certificate'", 'PEM');
    assertError(await add({ name: 'bad-1', certificate: 12 }), 400, "'certificate'");
    assertError(await add({ name: 'bad-2', certificate: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' }), 400, "'certificate'", 'not a PEM X.509 certificate');
    const truncated = leaf.certificate.slice(0, leaf.certificate.length / 2) + '\n-----END CERTIFICATE-----\n';
    assertError(await add({ name: 'bad-3', certificate: truncated }), 400, "'certificate'", 'not a PEM X.509 certificate');
    assertError(await add({ name: 'bad-4', certificate: leaf.privateKey }), 400, "'certificate'");
    assertError(await add({ name: 'bad-5', certificate: leaf.certificate, private_key: 'not a key' }), 400, "'private_key'", 'PEM');
    assertError(
      await add({ name: 'bad-6', certificate: leaf.certificate, private_key: '-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END PRIVATE KEY-----\n' }),
      400,
      "'private_key' is not the private key of certificate 'bad-6'",
    );
  });

  test('a private key that does not match the certificate', async () => {
    assertError(await add({ name: 'mismatch', certificate: leaf.certificate, private_key: other.privateKey }), 400, "'private_key' is not the private key of certificate 'mismatch'");
    // The CA's key with a leaf certificate: a real key, the wrong one.
    assertError(await add({ name: 'mismatch', certificate: leaf.certificate, private_key: authority.keys.privateKeyPem }), 400, "'private_key' is not the private key");
  });

  test('is_authority true with a leaf certificate, or not a boolean', async () => {
    assertError(await add({ name: 'not-a-ca', certificate: leaf.certificate, is_authority: true }), 400, "'is_authority' is true but certificate 'not-a-ca' is not a CA certificate");
    assertError(await add({ name: 'not-a-ca', certificate: authority.certificate, is_authority: 'yes' }), 400, "'is_authority'");
  });

  test('removing an unknown name: 404 naming it', async () => {
    assertError(await node.op({ operation: 'remove_certificate', name: 'no-such-certificate' }), 404, "Certificate 'no-such-certificate' does not exist");
  });

  test('replacing a certificate without its key: refused unless the key held for the name fits', async () => {
    // The node's generated certificate, replaced by one for another key with no private_key.
    assertError(await add({ name: node.host, certificate: leaf.certificate }), 400, `certificate '${node.host}' does not match the private key held for that name`, "'private_key'");
  });

  test('names that differ only in characters a file name cannot hold keep separate key files', async () => {
    await node.ok({ operation: 'add_certificate', name: 'twin a', certificate: leaf.certificate, private_key: leaf.privateKey });
    await node.ok({ operation: 'add_certificate', name: 'twin_a', certificate: other.certificate, private_key: other.privateKey });
    const added = keyFiles().filter((file) => !keysBefore.includes(file));
    assert.equal(added.length, 2, JSON.stringify(added));
    const held = added.map((file) => fs.readFileSync(path.join(node.root, 'keys', file), 'utf8'));
    assert.deepEqual(held.sort(), [leaf.privateKey, other.privateKey].sort());
    // Renewing one of them with the same key needs no private_key (the held key fits).
    await node.ok({ operation: 'add_certificate', name: 'twin a', certificate: leaf.certificate });
    await node.ok({ operation: 'remove_certificate', name: 'twin a' });
    await node.ok({ operation: 'remove_certificate', name: 'twin_a' });
    assert.deepEqual(keyFiles(), keysBefore);
  });

  test('only super_users may list, add or remove certificates', async () => {
    const auth = await addUser(node, 'cert_user', 'user');
    for (const body of [
      { operation: 'list_certificates' },
      { operation: 'add_certificate', name: 'x', certificate: authority.certificate, is_authority: true },
      { operation: 'remove_certificate', name: node.host },
    ]) {
      const response = await node.op(body, auth);
      assert.equal(response.status, 403, `${body.operation}: ${response.status} ${JSON.stringify(response.body)}`);
    }
  });

  test('nothing was written by the refused requests, and the node keeps serving', async () => {
    assert.equal(await snapshot(), rowsBefore);
    assert.deepEqual(keyFiles(), keysBefore);
    assert.equal((await servedCertificate(node.host, SECURE_REPLICATION_PORT)).serial, servedBefore);
    assert.equal((await node.op({ operation: 'cluster_status' })).status, 200);
    assert.equal((await node.op({ operation: 'describe_all' })).status, 200);
  });

  test('certificates that cannot serve replication are stored but never presented: another name, expired', async () => {
    const foreign = await issueTestCertificate(authority, 'other-node.example');
    assert.deepEqual(await node.ok({ operation: 'add_certificate', name: 'foreign', certificate: foreign.certificate, private_key: foreign.privateKey }), {
      message: 'Successfully added certificate: foreign',
    });
    const day = 86_400_000;
    const expired = await issueCertificateWithValidity(authority, node.host, new Date(Date.now() - 30 * day), new Date(Date.now() - day));
    await node.ok({ operation: 'add_certificate', name: 'expired', certificate: expired.certificate, private_key: expired.privateKey });
    const rows = await node.ok<Row[]>({ operation: 'list_certificates' });
    assert.ok(rows.some((row) => row.name === 'foreign') && rows.some((row) => row.name === 'expired'));
    assert.ok(!JSON.stringify(rows).includes('PRIVATE KEY'));
    // Still the generated certificate on the listener.
    assert.equal((await servedCertificate(node.host, SECURE_REPLICATION_PORT)).serial, servedBefore);
    assert.deepEqual(await node.ok({ operation: 'remove_certificate', name: 'foreign' }), { message: 'Successfully removed foreign' });
    assert.deepEqual(await node.ok({ operation: 'remove_certificate', name: 'expired' }), { message: 'Successfully removed expired' });
    assert.equal(await snapshot(), rowsBefore);
    assert.deepEqual(keyFiles(), keysBefore);
  });
});
