/**
 * Attack: an unauthenticated peer sends a huge hello (issue 10 item 5, replication). A 50 MB
 * hello once held the event loop for seconds and two dropped every link. Until admitted a peer
 * may send MAX_UNADMITTED_BYTES: past it the socket is closed with that reason, nothing more is
 * read or decoded, memory stays bounded and the node's existing link keeps replicating. An
 * admitted member still sends frames far larger than that.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encode } from '../../node-core/replication/protocol.ts';
import { MAX_UNADMITTED_BYTES } from '../../node-core/replication/upgrade-guard.ts';
import { Cluster, REPLICATION_PORT, waitFor, waitForLink } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { helloFor, rawPeer } from './peer-support.ts';
import { memoryOf, MiB, nodePid } from './support.ts';

const RSS_BOUND = 64 * MiB;

describe('a peer sends little until admitted', () => {
  let cluster: Cluster;
  const member = freshLoopbackAddress();
  before(async () => {
    cluster = await Cluster.start(2, { mesh: true });
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await waitForLink(a, b.host, 'dev');
    await a.ok({ operation: 'add_node', hostname: member });
  });
  after(async () => cluster?.cleanup());

  test('two 50 MB hellos from strangers are cut off at the limit; memory bounded; the link keeps replicating', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    const pid = nodePid(a);
    const before = memoryOf(pid);
    const huge = encode({ ...helloFor('stranger.example'), pad: 'x'.repeat(50 * MiB) } as never);
    const outcomes = await Promise.all([0, 1].map(() => rawPeer(`ws://${a.host}:${REPLICATION_PORT}`, 'stranger.example', { rawHello: huge, timeoutMs: 30_000 })));
    const peak = memoryOf(pid).peak;
    console.log(`two 50 MB hellos: RSS ${Math.round(before.rss / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB after`);
    for (const outcome of outcomes) {
      assert.equal(outcome.admitted, false);
      assert.equal(outcome.code, 4002, JSON.stringify(outcome));
      assert.equal(outcome.reason, `sent over ${MAX_UNADMITTED_BYTES} bytes before being admitted`);
    }
    assert.ok(peak - before.rss < RSS_BOUND, `peak RSS grew ${Math.round((peak - before.rss) / MiB)} MiB`);
    await a.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'after the attack' }] });
    await waitFor('the write to reach b', async () => (await b.ok<unknown[]>({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1] })).length === 1);
  });

  test('an admitted member may send frames larger than the pre-admission limit', async () => {
    const [a] = cluster.nodes as [NodeProcess];
    const big = 'y'.repeat(2 * MAX_UNADMITTED_BYTES);
    const entry = { v: Date.now(), o: member, u: null, w: [{ t: 'dog', k: 2, r: { id: 2, big } }] };
    const outcome = await rawPeer(`ws://${a.host}:${REPLICATION_PORT}`, member, {
      localAddress: member,
      hello: { database: 'dev' },
      after: [{ t: 'txns', entries: [[1, entry]], through: 1 } as never],
      until: (received) => received.some((m) => m.t === 'ack' && m.seq === 1),
    });
    assert.equal(outcome.admitted, true, JSON.stringify(outcome).slice(0, 400));
    assert.ok(outcome.received.some((m) => m.t === 'ack'), JSON.stringify({ code: outcome.code, reason: outcome.reason }));
    const rows = await a.ok<Array<{ big: string }>>({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [2] });
    assert.equal(rows[0]?.big.length, big.length);
  });
});
