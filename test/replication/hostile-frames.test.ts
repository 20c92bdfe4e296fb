/**
 * Hostile frames on the replication port (issue 9, defects 1 and 3), from a hand-built client
 * that writes raw WebSocket bytes (test/support/raw-replication.ts):
 * - an undecodable frame whose decoder error is multi-byte text, sent before any hello, closes
 *   that link with a reason of at most 123 bytes; the node keeps serving (ws and wss — the TLS
 *   listener accepts the socket before it checks the certificate);
 * - a hello naming a non-ASCII node is refused (4003) with a reason, not `4011 internal error`;
 * - a garbage frame in the same TCP write as a valid hello from a known member is read and
 *   closes the link; the link is not left open and shown connected.
 */
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { after, before, describe, test } from 'node:test';
import { MAX_CLOSE_REASON_BYTES } from '../../node-core/replication/close-reason.ts';
import { CloseCode, encode } from '../../node-core/replication/protocol.ts';
import { REPLICATION_PORT, SECURE_REPLICATION_PORT, startClusterNode, waitFor } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { createTestAuthority, issueTestCertificate, type TestCertificate } from '../support/pki.ts';
import { encodeHello, helloFrom, RawPeer } from '../support/raw-replication.ts';

type Row = Record<string, any>;
const CLOSE_WITHIN_MS = 5_000;
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
/** msgpack str of "é" × 30, then a stray byte: msgpackr's error quotes the string (103 bytes) */
const MULTIBYTE_UNDECODABLE = Buffer.concat([packr.pack('é'.repeat(30)), Buffer.from([0xc1])]);

async function assertServing(node: NodeProcess): Promise<void> {
  assert.ok(node.running, `node ${node.host} exited:\n${node.stderr.slice(-2000)}`);
  assert.equal((await node.op({ operation: 'cluster_status' })).status, 200);
}

async function socketOf(node: NodeProcess, peer: string, database = 'system'): Promise<Row | undefined> {
  const status = await node.ok<{ connections: Row[] }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s: Row) => s.database === database);
}

describe('hostile frames over ws', () => {
  let t: NodeProcess;
  let url: string;
  const known = freshLoopbackAddress();
  before(async () => {
    t = await startClusterNode();
    url = `ws://${t.host}:${REPLICATION_PORT}`;
    await t.ok({ operation: 'add_node', hostname: known });
  });
  after(async () => {
    await t?.cleanup();
  });

  test('an undecodable frame with a multi-byte decoder error, before any hello, closes the link with a byte-safe reason', async () => {
    for (let i = 0; i < 3; i++) {
      const peer = await RawPeer.connect(url);
      peer.send(MULTIBYTE_UNDECODABLE);
      const close = await peer.closedWithin(CLOSE_WITHIN_MS);
      assert.ok(close, 'the link stayed open');
      assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
      assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES, `reason of ${close.reasonBytes} bytes`);
      assert.match(close.reason, /^protocol error: undecodable frame/);
      assert.ok(close.reasonWellFormed, `reason cut inside a character: ${close.reason}`);
      await assertServing(t);
    }
  });

  test('a hello naming a non-ASCII node is refused with a reason', async () => {
    const peer = await RawPeer.connect(url);
    peer.send(encodeHello(helloFrom('nœud-été-ünïcödé')));
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open');
    assert.equal(close.code, CloseCode.refused, JSON.stringify(close));
    assert.match(close.reason, /nœud-été-ünïcödé.*not a known node/);
    await assertServing(t);
  });

  test('a hello whose refusal reason is long and multi-byte is cut on a character boundary', async () => {
    const peer = await RawPeer.connect(url);
    peer.send(encodeHello(helloFrom('é'.repeat(200))));
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open');
    assert.equal(close.code, CloseCode.refused, JSON.stringify(close));
    assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES && close.reasonWellFormed, JSON.stringify(close));
    await assertServing(t);
  });

  test('a garbage frame in the same TCP write as a known member\'s hello closes the link', async () => {
    const peer = await RawPeer.connect(url, { localAddress: known });
    peer.send(encodeHello(helloFrom(known)), MULTIBYTE_UNDECODABLE);
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open after a garbage frame that arrived with the hello');
    assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
    assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES);
    const socket = await waitFor('T to show the link closed', async () => {
      const s = await socketOf(t, known);
      return s && !s.connected ? s : undefined;
    }, CLOSE_WITHIN_MS);
    assert.match(socket.lastError ?? '', /protocol error/);
    await assertServing(t);
  });

  test('a frame out of place in the same TCP write as the hello is checked, in order', async () => {
    const peer = await RawPeer.connect(url, { localAddress: known });
    peer.send(encodeHello(helloFrom(known)), encode({ t: 'copy-end', sequence: 5 }));
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open after copy-end outside a copy');
    assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
    assert.match(close.reason, /copy-end outside a copy/);
    await assertServing(t);
  });

  test('control: a known member\'s hello alone is admitted and the link stays open', async () => {
    const peer = await RawPeer.connect(url, { localAddress: known });
    peer.send(encodeHello(helloFrom(known)));
    await waitFor('the node\'s hello back', () => peer.messages.length > 0, CLOSE_WITHIN_MS);
    assert.equal(await peer.closedWithin(500), null);
    await waitFor('T to show the link connected', async () => (await socketOf(t, known))?.connected === true, CLOSE_WITHIN_MS);
    peer.destroy();
  });
});

describe('hostile frames over wss (before and after the certificate check)', () => {
  let s: NodeProcess;
  let url: string;
  const known = freshLoopbackAddress();
  let knownCertificate: TestCertificate;
  before(async () => {
    s = await startClusterNode({ secure: true });
    url = `wss://${s.host}:${SECURE_REPLICATION_PORT}`;
    const authority = await createTestAuthority('Hostile Frames Test CA');
    await s.ok({ operation: 'add_certificate', name: 'hostile-test-ca', certificate: authority.certificate, is_authority: true });
    await s.ok({ operation: 'add_node', hostname: known });
    knownCertificate = await issueTestCertificate(authority, known);
  });
  after(async () => {
    await s?.cleanup();
  });

  test('an undecodable frame from a peer with no certificate closes the link with a byte-safe reason', async () => {
    const peer = await RawPeer.connect(url);
    peer.send(MULTIBYTE_UNDECODABLE);
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open');
    assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
    assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES, `reason of ${close.reasonBytes} bytes`);
    await assertServing(s);
  });

  test('a hello naming a non-ASCII node is refused with a reason', async () => {
    const peer = await RawPeer.connect(url);
    peer.send(encodeHello(helloFrom('nœud-été')));
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open');
    assert.equal(close.code, CloseCode.refused, JSON.stringify(close));
    assert.match(close.reason, /no client certificate/);
    await assertServing(s);
  });

  test('a garbage frame in the same TCP write as a certified member\'s hello closes the link', async () => {
    const peer = await RawPeer.connect(url, { credentials: { cert: knownCertificate.certificate, key: knownCertificate.privateKey } });
    peer.send(encodeHello(helloFrom(known)), MULTIBYTE_UNDECODABLE);
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open after a garbage frame that arrived with the hello');
    assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
    assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES);
    await assertServing(s);
  });
});
