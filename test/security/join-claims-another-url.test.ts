/**
 * Attack: a join that claims to be node X with the url of node Y (issue 10 item 2). The signer
 * once put the url's host in the certificate's names, so the certificate authenticated as Y,
 * received Y's copy and survived both revoking X's serial and remove_node X. Now the certificate
 * names exactly X (CN = SAN = X), revocation is checked by serial for every name a certificate
 * carries, and a CSR whose name does not match leaves no hdb_nodes row behind.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { CertificateMessage } from '../../node-core/replication/protocol.ts';
import { certificateDetails, createSigningRequest, newKeyPair } from '../../node-core/security/pki.ts';
import { SECURE_REPLICATION_PORT, startClusterNode, tableState } from '../support/cluster.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { createTestAuthority, issueTestCertificate } from '../support/pki.ts';
import { rawPeer } from './peer-support.ts';

describe('a joiner gets a certificate for exactly its own name', () => {
  let target: NodeProcess;
  let url: string;
  const claimed = freshLoopbackAddress();
  const victim = freshLoopbackAddress();
  before(async () => {
    target = await startClusterNode({ secure: true });
    url = `wss://${target.host}:${SECURE_REPLICATION_PORT}`;
    await target.ok({ operation: 'add_node', hostname: victim });
  });
  after(async () => target?.cleanup());

  async function join(node: string, csrName: string, hello: Record<string, unknown> = {}) {
    const keys = await newKeyPair(2048);
    const csr = createSigningRequest(keys, csrName);
    const outcome = await rawPeer(url, node, {
      headers: { Authorization: basicAuth(ADMIN.username, ADMIN.password) },
      hello: { csr, ...hello },
      until: (received) => received.some((m) => m.t === 'certificate'),
    });
    const signed = outcome.received.find((m): m is CertificateMessage => m.t === 'certificate');
    return { outcome, signed, key: keys.privateKeyPem };
  }

  test('join as X with the url of Y: the certificate names X only, and cannot act as Y', async () => {
    const { outcome, signed, key } = await join(claimed, claimed, { url: `wss://${victim}:${SECURE_REPLICATION_PORT}` });
    assert.ok(signed, `no certificate: ${outcome.code} ${outcome.reason}`);
    const details = certificateDetails(signed.certificate);
    assert.equal(details.common_name, claimed);
    assert.deepEqual([...new Set(details.names)].sort(), [claimed], `certificate names ${details.names.join(', ')}`);
    const asVictim = await rawPeer(url, victim, { credentials: { cert: signed.certificate, key } });
    assert.equal(asVictim.admitted, false);
    assert.equal(asVictim.code, 4003);
    assert.match(asVictim.reason, new RegExp(`not node '${victim.replace(/\./g, '\\.')}'`));
    // As itself it is admitted.
    const asItself = await rawPeer(url, claimed, { credentials: { cert: signed.certificate, key }, until: (r) => r.length > 0 });
    assert.equal(asItself.admitted, true, JSON.stringify({ code: asItself.code, reason: asItself.reason }));
  });

  test('a serial revoked under any name the certificate carries is refused', async () => {
    const authority = await createTestAuthority('Revocation Test CA');
    await target.ok({ operation: 'add_certificate', name: 'revocation-test-ca', certificate: authority.certificate, is_authority: true });
    const first = freshLoopbackAddress();
    const second = freshLoopbackAddress();
    await target.ok({ operation: 'add_node', hostname: first });
    await target.ok({ operation: 'add_node', hostname: second });
    const twoNames = await issueTestCertificate(authority, first, [second]);
    const credentials = { cert: twoNames.certificate, key: twoNames.privateKey };
    assert.equal((await rawPeer(url, first, { credentials, until: (r) => r.length > 0 })).admitted, true);
    // Revoked under the second name only: presenting it as the first is refused too.
    await target.ok({ operation: 'update_node', hostname: second, revoked_certificates: [twoNames.serial] });
    const outcome = await rawPeer(url, first, { credentials });
    assert.equal(outcome.admitted, false);
    assert.equal(outcome.code, 4003);
    assert.match(outcome.reason, /is revoked/);
  });

  test('a CSR whose name does not match the node claimed is refused and leaves no hdb_nodes row', async () => {
    const before = [...(await tableState(target, 'system', 'hdb_nodes', 'name')).keys()].sort();
    const liar = freshLoopbackAddress();
    const { outcome, signed } = await join(liar, `not-${crypto.randomUUID().slice(0, 8)}.example`, { url: `wss://${liar}:${SECURE_REPLICATION_PORT}` });
    assert.equal(signed, undefined);
    assert.equal(outcome.code, 4002, JSON.stringify({ code: outcome.code, reason: outcome.reason }));
    assert.match(outcome.reason, /signing request names/);
    assert.deepEqual([...(await tableState(target, 'system', 'hdb_nodes', 'name')).keys()].sort(), before);
  });

  test('a join naming itself with markup is refused and leaves no hdb_nodes row', async () => {
    const before = [...(await tableState(target, 'system', 'hdb_nodes', 'name')).keys()].sort();
    const name = '<img src=x onerror=alert(1)>';
    const { outcome, signed } = await join(name, name, { url: `wss://evil.example:${SECURE_REPLICATION_PORT}` });
    assert.equal(signed, undefined);
    assert.equal(outcome.code, 4003, JSON.stringify({ code: outcome.code, reason: outcome.reason }));
    assert.match(outcome.reason, /is not a host name or IP address/);
    assert.deepEqual([...(await tableState(target, 'system', 'hdb_nodes', 'name')).keys()].sort(), before);
  });
});
