/**
 * Frames under stress: oversized transactions (each over half of MAX_FRAME_BYTES, two in a
 * row, between two normal ones — a publisher that packs frames by count builds one frame the
 * peer must refuse) and a corrupt frame from a peer (the proxy flips a byte of a frame header
 * in one direction; over wss TLS rejects the record). Either way: the link recovers, the
 * receiver keeps running, nothing acknowledged is lost.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MAX_FRAME_BYTES } from '../../node-core/replication/protocol.ts';
import { sleep } from '../support/history.ts';
import { scenarioTests } from './scenario.ts';

/** Each big transaction carries this many bytes of payload (over half a frame). */
const BIG_TRANSACTION_BYTES = Math.ceil(MAX_FRAME_BYTES * 0.55);
const BIG_RECORD_BYTES = 1024 * 1024;
/** Request bodies big enough for one big transaction. */
const MAX_BODY_BYTES = 2 * MAX_FRAME_BYTES;

describe('frames', () => {
  scenarioTests({
    name: 'oversized transactions between two normal ones',
    noWorkload: true,
    perNode: () => ({ args: [`--OPERATIONSAPI_NETWORK_MAXBODYSIZE=${MAX_BODY_BYTES}`] }),
    body: async ({ net, history }) => {
      const writer = net.node(0);
      await history.write(writer, ['before'], 64);
      const records = Math.ceil(BIG_TRANSACTION_BYTES / BIG_RECORD_BYTES);
      for (const name of ['big1', 'big2']) await history.write(writer, Array.from({ length: records }, (_, i) => `${name}-${i}`), BIG_RECORD_BYTES);
      await history.write(writer, ['after'], 64);
      assert.equal(history.ops.filter((op) => op.kind === 'write' && !op.acked).length, 0, 'every write was acknowledged');
    },
  }, { timeoutMs: 300_000 });
  scenarioTests({
    name: 'corrupt frame from a peer',
    body: async ({ net }) => {
      await sleep(1_000);
      net.setFault(0, 1, { mode: 'pass', corruptChunks: 1, corruptAt: 'start' });
      await sleep(3_000);
      net.setFault(1, 0, { mode: 'pass', corruptChunks: 1, corruptAt: 'start' });
      await sleep(3_000);
      assert.ok(net.node(0).running && net.node(1).running, 'a corrupt frame must not stop a node');
    },
  }, { quick: 'wss' });
});
