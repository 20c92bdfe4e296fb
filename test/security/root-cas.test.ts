/**
 * `replication.enableRootCAs` (SPEC 3, issue 4 test 6): with it false, a certificate that chains
 * only to a public root is refused.
 *
 * Approach: no test can obtain a certificate signed by a real public root (Mozilla's store, as
 * bundled with Node.js: `tls.rootCertificates`), so the test checks the two things that together
 * make the rule hold:
 * 1. the set of CAs replication trusts (CertificateStore.trustedAuthorities, and the set the
 *    ReplicationManager hands its TLS listener and dialer) contains none of the Node.js roots
 *    when enableRootCAs is false, and all of them when it is true (the default); it contains the
 *    node's own CA rows and every hdb_nodes.ca, nothing else;
 * 2. end to end, on a node running with enableRootCAs false, the TLS listener refuses a
 *    certificate from a CA outside that set (with the reason), and admits the same certificate
 *    once its CA is in the set (through add_certificate or a node's hdb_nodes.ca): the listener
 *    trusts exactly that set, so a public-root-only chain is refused like any other outsider.
 * Nodes run in this process (startNode) so the manager's trusted set can be read directly.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { startNode, type RunningNode } from '../../node-core/index.ts';
import { Logger } from '../../node-core/log/logger.ts';
import { CertificateStore, caName } from '../../node-core/security/certificates.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import { ensureSystemDatabase } from '../../node-core/system/tables.ts';
import { freshLoopbackAddress } from '../support/node-process.ts';
import { createTestAuthority, issueTestCertificate, rawReplicationHello, type TestAuthority } from '../support/pki.ts';

const roots = new Set(tls.rootCertificates);

describe('CertificateStore.trustedAuthorities', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-roots-'));
  const nodeName = '127.0.0.1';
  let storage: Storage;
  let store: CertificateStore;
  let logger: Logger;
  let other: TestAuthority;

  before(async () => {
    storage = Storage.open(root, { nodeName, clock: new HybridLogicalClock() });
    const system = await ensureSystemDatabase(storage);
    logger = new Logger(null, 'warn', () => undefined);
    store = new CertificateStore(system, path.join(root, 'keys'), nodeName, logger);
    [other] = await Promise.all([createTestAuthority('Roots Test Other CA'), store.initialize([nodeName], { certificate: null, privateKey: null, certificateAuthority: null })]);
  });
  after(async () => {
    await storage?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('without the root store: own CA rows and the given hdb_nodes CAs only', () => {
    assert.ok(roots.size > 50, `Node.js bundles ${roots.size} roots`);
    const own = store.get(caName(nodeName))!.certificate;
    assert.deepEqual(store.trustedAuthorities([], false), [own]);
    const trusted = store.trustedAuthorities([other.certificate], false);
    assert.deepEqual(trusted.sort(), [own, other.certificate].sort());
    assert.ok(trusted.every((pem) => !roots.has(pem)));
  });

  test('with the root store: every Node.js root as well', () => {
    const trusted = store.trustedAuthorities([other.certificate], true);
    for (const pem of roots) assert.ok(trusted.includes(pem));
    assert.equal(trusted.length, roots.size + 2);
  });

  test('an authority added later is trusted at once; a leaf certificate never is', async () => {
    await store.add({ name: 'added-ca', certificate: other.certificate, is_authority: true }, null);
    assert.ok(store.trustedAuthorities([], false).includes(other.certificate.replace(/\r\n/g, '\n').trim() + '\n'));
    const leaf = await issueTestCertificate(other, nodeName);
    await store.add({ name: 'leaf', certificate: leaf.certificate, private_key: leaf.privateKey, is_authority: false }, null);
    assert.ok(!store.trustedAuthorities([], false).some((pem) => pem.includes(leaf.certificate.trim().split('\n')[1]!)));
  });
});

describe('enableRootCAs on a running node', () => {
  const rootPaths: string[] = [];
  let closed: RunningNode;
  let open: RunningNode;
  let outsider: TestAuthority;

  async function start(enableRootCAs: boolean | undefined): Promise<RunningNode> {
    const rootPath = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-roots-node-'));
    rootPaths.push(rootPath);
    return startNode({
      rootPath,
      env: {},
      adminUsername: 'admin',
      adminPassword: 'roots-test-password',
      argv: [
        `--REPLICATION_HOSTNAME=${freshLoopbackAddress()}`,
        '--REPLICATION_SECUREPORT=9933',
        '--REPLICATION_PORT=null',
        '--LOGGING_LEVEL=info',
        ...(enableRootCAs === undefined ? [] : [`--REPLICATION_ENABLEROOTCAS=${enableRootCAs}`]),
      ],
    });
  }

  before(async () => {
    [closed, open, outsider] = await Promise.all([start(false), start(undefined), createTestAuthority('Roots Test Outsider CA')]);
  });
  after(async () => {
    await Promise.all([closed, open].map((node) => node?.stop()));
    for (const root of rootPaths) fs.rmSync(root, { recursive: true, force: true });
  });

  test('enableRootCAs false: the replication trusted set holds no Node.js root; true (the default): all of them', () => {
    assert.equal(closed.config.replication.enableRootCAs, false);
    assert.equal(open.config.replication.enableRootCAs, true);
    const closedSet = closed.services.replication!.trustedAuthorities();
    assert.ok(closedSet.length >= 1 && closedSet.every((pem) => !roots.has(pem)), `${closedSet.length} CAs`);
    assert.ok(closedSet.includes(closed.services.certificates.ownAuthority()!.certificate));
    const openSet = open.services.replication!.trustedAuthorities();
    for (const pem of roots) assert.ok(openSet.includes(pem));
  });

  test('enableRootCAs false: a certificate from a CA outside the set is refused, and admitted once the CA is trusted', async () => {
    const manager = closed.services.replication!;
    const peer = freshLoopbackAddress();
    const url = closed.replicationUrl!;
    assert.match(url, /^wss:/);
    await manager.membership.upsertNode({ name: peer, url: `wss://${peer}:9933` }, null);
    const certificate = await issueTestCertificate(outsider, peer);
    const credentials = { cert: certificate.certificate, key: certificate.privateKey };
    const refused = await rawReplicationHello(url, { node: peer, credentials });
    assert.equal(refused.code, 4003, JSON.stringify(refused));
    assert.match(refused.reason, /certificate not trusted: it does not chain to a CA this node trusts/);
    // Trusted as the node's CA in hdb_nodes (what a cluster teaches): admitted, without a restart.
    await manager.membership.upsertNode({ name: peer, url: `wss://${peer}:9933`, ca: outsider.certificate }, null);
    assert.ok(manager.trustedAuthorities().includes(outsider.certificate));
    const admitted = await rawReplicationHello(url, { node: peer, credentials });
    assert.equal(admitted.admitted, true, JSON.stringify(admitted));
    // Forgotten again: refused again.
    await manager.membership.upsertNode({ name: peer, url: `wss://${peer}:9933`, ca: null }, null);
    const again = await rawReplicationHello(url, { node: peer, credentials });
    assert.equal(again.code, 4003, JSON.stringify(again));
  });
});
