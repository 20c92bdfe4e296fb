/**
 * A copy resume is peer input like any other: a hello whose copyResume is malformed is refused
 * with a protocol error naming it; a resume this node cannot honour (a position its log never
 * reached) gets the whole copy, not a guess; a copy-start that claims to resume a copy this
 * node never asked to resume closes the link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PEER_MESSAGE_CHECKS } from '../../node-core/replication/peer-requests.ts';
import { CloseCode, decode, encode, type Message } from '../../node-core/replication/protocol.ts';
import { REPLICATION_PORT, startClusterNode, waitFor } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { encodeHello, helloFrom, RawPeer } from '../support/raw-replication.ts';

const CLOSE_WITHIN_MS = 5_000;
const DB = 'dev';

function received(peer: RawPeer): Message[] {
  return peer.messages.map((payload) => decode(payload, PEER_MESSAGE_CHECKS));
}

describe('copy resume requests from a peer', () => {
  let t: NodeProcess;
  let url: string;
  const known = freshLoopbackAddress();
  before(async () => {
    t = await startClusterNode();
    url = `ws://${t.host}:${REPLICATION_PORT}`;
    await t.ok({ operation: 'add_node', hostname: known });
    await t.ok({ operation: 'create_table', database: DB, table: 'items', primary_key: 'id' });
    await t.ok({ operation: 'insert', database: DB, table: 'items', records: Array.from({ length: 30 }, (_, i) => ({ id: `k${i}` })) });
  });
  after(async () => {
    await t?.cleanup();
  });

  test('a malformed copyResume (a key longer than any primary key) is refused as a bad hello', async () => {
    const peer = await RawPeer.connect(url, { localAddress: known });
    peer.send(encodeHello(helloFrom(known, DB, { synced: false, startTime: null, copyResume: { sequence: 1, table: 'items', stage: 'records', afterKey: 'x'.repeat(5_000) } })));
    const close = await peer.closedWithin(CLOSE_WITHIN_MS);
    assert.ok(close, 'the link stayed open');
    assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
    assert.match(close.reason, /bad hello: copyResume/);
  });

  test('a resume from a position this node never reached gets the whole copy', async () => {
    const peer = await RawPeer.connect(url, { localAddress: known });
    const future = Date.now() + 10 * 365 * 86_400_000;
    peer.send(encodeHello(helloFrom(known, DB, { synced: false, startTime: null, copyResume: { sequence: future, table: 'items', stage: 'records', afterKey: 'k5' } })));
    const start = await waitFor('copy-start from the node', () => received(peer).find((m) => m.t === 'copy-start'), CLOSE_WITHIN_MS);
    assert.equal((start as { resumed?: boolean }).resumed, undefined, 'not a resumed copy');
    assert.equal((start as { total: number }).total, 30, 'every record of the table');
    peer.destroy();
  });

  test('a copy-start claiming to resume a copy this node did not ask to resume closes the link', async () => {
    const fresh = await startClusterNode();
    try {
      const stranger = freshLoopbackAddress();
      await fresh.ok({ operation: 'add_node', hostname: stranger });
      const peer = await RawPeer.connect(`ws://${fresh.host}:${REPLICATION_PORT}`, { localAddress: stranger });
      peer.send(encodeHello(helloFrom(stranger, DB, { synced: true, startTime: null })));
      const hello = await waitFor('the node\'s hello', () => received(peer).find((m) => m.t === 'hello'), CLOSE_WITHIN_MS);
      assert.equal((hello as { synced: boolean }).synced, false, 'the fresh node wants a copy of dev');
      assert.equal((hello as { copyResume?: unknown }).copyResume, undefined, 'and has nothing to resume');
      peer.send(encode({ t: 'copy-start', total: 10, sequence: 5, tables: [], resumed: true }));
      const close = await peer.closedWithin(CLOSE_WITHIN_MS);
      assert.ok(close, 'the link stayed open');
      assert.equal(close.code, CloseCode.protocolError, JSON.stringify(close));
      assert.match(close.reason, /did not ask to resume/);
    } finally {
      await fresh.cleanup();
    }
  });
});
