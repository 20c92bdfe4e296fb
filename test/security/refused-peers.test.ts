/**
 * Refused peers (SPEC 3, issue 4 test 4). The TLS listener admits a peer only when its client
 * certificate chains to a trusted CA, names the node it claims to be, that node is known, and
 * its serial is not revoked. Each refusal closes the link with code 4003 and a reason naming the
 * failed check, logged on the refusing node ('Refused replication peer', level warn).
 *
 * Two kinds of dialer:
 * - a raw replication client in this process (ws + msgpackr hello, as node-core's protocol
 *   defines it) that presents any certificate, so each check is hit alone and the exact close
 *   code and reason are read. It is also how the expired certificate is presented: a node never
 *   presents one (bestCertificate skips certificates outside their validity by design);
 * - a real node E that dials the target T and is refused for an unknown CA, then (with a
 *   certificate from a CA T trusts) for an unknown name, then for a revoked serial. E's
 *   cluster_status shows why, and E's attempt rate stays bounded: no more than about one
 *   refused attempt per second per database link (REFUSED_MIN_BACKOFF_MS), counted in T's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REFUSED_MIN_BACKOFF_MS } from '../../node-core/replication/manager.ts';
import { SECURE_REPLICATION_PORT, startClusterNode, waitFor, waitForLink } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { sleep } from '../support/ops.ts';
import {
  createTestAuthority,
  issueCertificateWithValidity,
  issueTestCertificate,
  rawReplicationHello,
  type TestAuthority,
  type TestCertificate,
} from '../support/pki.ts';

type Row = Record<string, any>;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** T's 'Refused replication peer' log lines (oldest first), optionally only for `peer`. */
async function refusals(node: NodeProcess, peer?: string): Promise<Row[]> {
  const lines = await node.ok<Row[]>({ operation: 'read_log', level: 'warn', order: 'asc', limit: 10_000 });
  return lines.filter((line) => line.message === 'Refused replication peer' && (!peer || line.peer === peer));
}

/** The cluster_status socket of `node` for `peer` and `database`. */
async function socketOf(node: NodeProcess, peer: string, database = 'system'): Promise<Row | undefined> {
  const status = await node.ok<{ connections: Row[] }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s: Row) => s.database === database);
}

describe('refused peers: each check refuses with its reason', () => {
  let t: NodeProcess;
  let url: string;
  let trusted: TestAuthority;
  let rogue: TestAuthority;
  /** a node T knows (hdb_nodes row) that is not running: the raw client speaks as it */
  const known = freshLoopbackAddress();
  const stranger = freshLoopbackAddress();
  let knownCertificate: TestCertificate;

  before(async () => {
    [t, trusted, rogue] = await Promise.all([
      startClusterNode({ secure: true }),
      createTestAuthority('Refusal Test Trusted CA'),
      createTestAuthority('Refusal Test Rogue CA'),
    ]);
    url = `wss://${t.host}:${SECURE_REPLICATION_PORT}`;
    await t.ok({ operation: 'add_certificate', name: 'refusal-test-ca', certificate: trusted.certificate, is_authority: true });
    await t.ok({ operation: 'add_node', hostname: known });
    knownCertificate = await issueTestCertificate(trusted, known);
  });
  after(async () => {
    await t?.cleanup();
  });

  const asCredentials = (c: TestCertificate) => ({ cert: c.certificate, key: c.privateKey });

  test('control: a certificate from a trusted CA for a known node is admitted', async () => {
    const outcome = await rawReplicationHello(url, { node: known, credentials: asCredentials(knownCertificate) });
    assert.equal(outcome.admitted, true, JSON.stringify(outcome));
  });

  test('no client certificate', async () => {
    const outcome = await rawReplicationHello(url, { node: known });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, /no client certificate/);
  });

  test('a certificate from an unknown CA', async () => {
    const certificate = await issueTestCertificate(rogue, known);
    const outcome = await rawReplicationHello(url, { node: known, credentials: asCredentials(certificate) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, /certificate not trusted: it does not chain to a CA this node trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    const logged = await waitFor('the refusal in T log', async () => (await refusals(t, known)).find((line) => /does not chain/.test(line.reason)));
    assert.equal(logged.level, 'warn');
  });

  test('a self-signed certificate (its own CA)', async () => {
    const outcome = await rawReplicationHello(url, { node: known, credentials: { cert: rogue.certificate, key: rogue.keys.privateKeyPem } });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, /certificate not trusted/);
  });

  test('a valid certificate whose name is not a known node', async () => {
    const certificate = await issueTestCertificate(trusted, stranger);
    const outcome = await rawReplicationHello(url, { node: stranger, credentials: asCredentials(certificate) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.equal(outcome.reason, `node '${stranger}' is not a known node or route of this node`);
    await waitFor('the refusal in T log', async () => (await refusals(t, stranger)).some((line) => /not a known node/.test(line.reason)));
  });

  test('a valid certificate for another node than the one claimed', async () => {
    const certificate = await issueTestCertificate(trusted, stranger);
    const outcome = await rawReplicationHello(url, { node: known, credentials: asCredentials(certificate) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, new RegExp(`^certificate is for ${escape(stranger)}.*, not node '${escape(known)}'$`));
  });

  test('an expired certificate from a trusted CA', async () => {
    const day = 86_400_000;
    const expired = await issueCertificateWithValidity(trusted, known, new Date(Date.now() - 30 * day), new Date(Date.now() - day));
    const outcome = await rawReplicationHello(url, { node: known, credentials: asCredentials(expired) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, /certificate not trusted: the certificate has expired \(CERT_HAS_EXPIRED\)/);
    await waitFor('the refusal in T log', async () => (await refusals(t, known)).some((line) => /CERT_HAS_EXPIRED/.test(line.reason)));
    // Not valid yet is refused too.
    const future = await issueCertificateWithValidity(trusted, known, new Date(Date.now() + day), new Date(Date.now() + 30 * day));
    const early = await rawReplicationHello(url, { node: known, credentials: asCredentials(future) });
    assert.equal(early.code, 4003, JSON.stringify(early));
    assert.match(early.reason, /CERT_NOT_YET_VALID/);
  });

  test('a revoked serial (update_node revoked_certificates, written as openssl prints serials)', async () => {
    // lower case with colons: the node compares serials whatever their spelling
    const spelled = knownCertificate.serial.toLowerCase().match(/.{1,2}/g)!.join(':');
    await t.ok({ operation: 'update_node', hostname: known, revoked_certificates: [spelled] });
    const outcome = await rawReplicationHello(url, { node: known, credentials: asCredentials(knownCertificate) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, new RegExp(`^certificate serial ${knownCertificate.serial.replace(/^0+/, '')} of node '${escape(known)}' is revoked$`));
    await waitFor('the refusal in T log', async () => (await refusals(t, known)).some((line) => /is revoked/.test(line.reason)));
    // Another certificate of the same node is still admitted.
    const replacement = await issueTestCertificate(trusted, known);
    assert.equal((await rawReplicationHello(url, { node: known, credentials: asCredentials(replacement) })).admitted, true);
  });

  test('a refused peer leaves nothing behind: no database is created for its hello', async () => {
    const certificate = await issueTestCertificate(rogue, known);
    const outcome = await rawReplicationHello(url, { node: known, database: 'intruder', credentials: asCredentials(certificate) });
    assert.equal(outcome.code, 4003, JSON.stringify(outcome));
    assert.match(outcome.reason, /certificate not trusted/);
    const strangerOutcome = await rawReplicationHello(url, { node: stranger, database: 'intruder2', credentials: asCredentials(await issueTestCertificate(trusted, stranger)) });
    assert.equal(strangerOutcome.code, 4003);
    const databases = Object.keys(await t.ok({ operation: 'describe_all' }));
    assert.ok(!databases.includes('intruder') && !databases.includes('intruder2'), JSON.stringify(databases));
    // T keeps serving.
    assert.equal((await t.op({ operation: 'cluster_status' })).status, 200);
  });
});

describe('refused real dialer: reasons on both sides and a bounded attempt rate', () => {
  let t: NodeProcess;
  let e: NodeProcess;
  let trusted: TestAuthority;

  before(async () => {
    [t, e, trusted] = await Promise.all([startClusterNode({ secure: true }), startClusterNode({ secure: true }), createTestAuthority('Dialer Test CA')]);
    await t.ok({ operation: 'add_certificate', name: 'dialer-test-ca', certificate: trusted.certificate, is_authority: true });
    // E trusts T's CA (public information), so only T's checks of E are in play.
    const tCa = (await t.ok<Row[]>({ operation: 'list_certificates' })).find((row) => row.name === `Peerdesk-Certificate-Authority-${t.host}`)!;
    await e.ok({ operation: 'add_certificate', name: 'target-ca', certificate: tCa.certificate, is_authority: true });
  });
  after(async () => {
    await Promise.all([t, e].map((node) => node?.cleanup()));
  });

  /**
   * Refusals of E in T's log over `windowMs`, per database link: at most one per
   * REFUSED_MIN_BACKOFF_MS (fewer as E's exponential backoff grows), and with `retrying`, at
   * least one (E keeps trying).
   */
  async function assertBoundedRate(reason: RegExp, retrying: boolean, windowMs = 5_000): Promise<void> {
    const from = Date.now();
    await sleep(windowMs);
    const until = Date.now();
    const lines = (await refusals(t, e.host)).filter((line) => {
      const at = Date.parse(line.timestamp);
      return at >= from && at <= until;
    });
    if (retrying) assert.ok(lines.length >= 1, `no refusal of E within ${windowMs} ms`);
    for (const line of lines) assert.match(line.reason, reason);
    const byDatabase = new Map<string, number[]>();
    for (const line of lines) byDatabase.set(line.database, [...(byDatabase.get(line.database) ?? []), Date.parse(line.timestamp)]);
    for (const [database, times] of byDatabase) {
      // one attempt at the start of the window, then one per REFUSED_MIN_BACKOFF_MS at most
      const allowed = Math.floor(windowMs / REFUSED_MIN_BACKOFF_MS) + 1;
      assert.ok(times.length <= allowed, `${times.length} refusals for ${database} in ${windowMs} ms (at most ${allowed}): ${JSON.stringify(times.map((x) => x - from))}`);
      for (let i = 1; i < times.length; i++) {
        assert.ok(times[i]! - times[i - 1]! >= REFUSED_MIN_BACKOFF_MS - 50, `refusals for ${database} ${times[i]! - times[i - 1]!} ms apart`);
      }
    }
  }

  test('unknown CA: E presents its own certificate, T refuses it and E shows why', async () => {
    await e.ok({ operation: 'add_node', hostname: t.host });
    const socket = await waitFor('E to show the refusal', async () => {
      const s = await socketOf(e, t.host);
      return s && !s.connected && /does not chain to a CA this node trusts/.test(s.lastError ?? '') ? s : undefined;
    });
    assert.match(socket.lastError, /certificate not trusted/);
    await waitFor('the refusal in T log', async () => (await refusals(t, e.host)).some((line) => /does not chain/.test(line.reason)));
    await assertBoundedRate(/does not chain to a CA this node trusts/, true);
  });

  test('unknown node: with a certificate from a CA T trusts, E is refused because T does not know it', async () => {
    const certificate = await issueTestCertificate(trusted, e.host);
    await e.ok({ operation: 'add_certificate', name: 'e-by-test-ca', certificate: certificate.certificate, private_key: certificate.privateKey });
    await waitFor('E to show the unknown-node refusal', async () => /is not a known node or route/.test((await socketOf(e, t.host))?.lastError ?? ''));
    // E's backoff has grown during the previous test: it may not retry within the window.
    await assertBoundedRate(new RegExp(`node '${escape(e.host)}' is not a known node`), false);
  });

  test('revoked serial: T revokes the certificate E uses; open links close, both directions are refused, slowly', async () => {
    // T learns E: now both directions link (E's certificate chains to the test CA, T's to T's CA).
    await t.ok({ operation: 'add_node', hostname: e.host });
    await waitForLink(t, e.host, 'system');
    await waitForLink(e, t.host, 'system');
    const used = (await e.ok<Row[]>({ operation: 'list_certificates' })).find((row) => row.name === 'e-by-test-ca')!;
    await t.ok({ operation: 'update_node', hostname: e.host, revoked_certificates: [used.details.serial_number] });
    // The open links are closed at once, with the reason.
    const tSide = await waitFor('T to drop the link with E', async () => {
      const s = await socketOf(t, e.host);
      return s && !s.connected && s.lastError ? s : undefined;
    });
    assert.match(tSide.lastError, /is revoked/);
    await waitFor('E to show the revocation', async () => /is revoked/.test((await socketOf(e, t.host))?.lastError ?? ''));
    // Neither direction comes back. T refuses E's server certificate when it dials E...
    await waitFor('T to refuse the certificate E serves', async () =>
      /TLS: the certificate of '.*' was not accepted: the certificate \(serial [0-9A-F]+\) of node '.*' is revoked \(ERR_PEER_CERT_REVOKED\)/.test(
        (await socketOf(t, e.host))?.lastError ?? '',
      ),
    );
    // ...and a freshly started E (no backoff yet) dials T, is refused for the revoked serial, and
    // then retries no faster than once a second.
    await e.restart();
    await waitFor('T to refuse the restarted E', async () => (await refusals(t, e.host)).some((line) => /is revoked/.test(line.reason)));
    await assertBoundedRate(/certificate serial [0-9A-F]+ of node '.*' is revoked/, true);
    assert.match((await socketOf(e, t.host))?.lastError ?? '', /is revoked/);
    const after = await socketOf(t, e.host);
    assert.equal(after?.connected, false, JSON.stringify(after));
    // T keeps serving.
    assert.equal((await t.op({ operation: 'describe_all' })).status, 200);
  });
});
