/**
 * cluster_network's wire messages (status-request / status-result) pass the same frame checks
 * as every other replication message: well-formed ones decode as sent, anything else is a
 * ProtocolError naming what is wrong, before any code acts on it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { MAX_RELAY_TARGETS, NETWORK_FEATURE } from '../../node-core/replication/network-messages.ts';
import { decode, encode, ProtocolError } from '../../node-core/replication/protocol.ts';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const raw = (value: unknown) => packr.pack(value);

describe('cluster_network wire messages', () => {
  it('a request and a result decode as sent', () => {
    const request = { t: 'status-request' as const, id: 7, timeout_ms: 5000, relay: ['127.0.0.3'] };
    assert.deepEqual(decode(encode(request)), request);
    const result = {
      t: 'status-result' as const,
      id: 7,
      answers: [
        { node_name: '127.0.0.2', status: 'ok' as const, age_ms: 12, cluster_status: { type: 'cluster-status', connections: [] }, system: { node_name: '127.0.0.2' } },
        { node_name: '127.0.0.3', status: 'unreachable' as const, error: 'no open replication link', age_ms: null, via: '127.0.0.2' },
      ],
    };
    assert.deepEqual(decode(encode(result)), result);
  });

  it('malformed ones are protocol errors naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ t: 'status-request', id: 1, timeout_ms: 5000 }, /bad status-request: relay/],
      [{ t: 'status-request', id: -1, timeout_ms: 5000, relay: [] }, /bad status-request: id/],
      [{ t: 'status-request', id: 1, timeout_ms: 0, relay: [] }, /timeout_ms/],
      [{ t: 'status-request', id: 1, timeout_ms: 5000, relay: Array.from({ length: MAX_RELAY_TARGETS + 1 }, (_, i) => `n${i}`) }, /relay/],
      [{ t: 'status-result', id: 1, answers: [{ node_name: 'x', status: 'fine', age_ms: 0 }] }, /answers\.0\.status/],
      [{ t: 'status-result', id: 1, answers: [{ node_name: '', status: 'ok', age_ms: 0 }] }, /answers\.0\.node_name/],
      [{ t: 'status-result', id: 1, answers: [{ node_name: 'x', status: 'ok', age_ms: -5 }] }, /answers\.0\.age_ms/],
      [{ t: 'status-result', id: 1, answers: 'all of them' }, /answers/],
    ];
    for (const [value, pattern] of cases) {
      assert.throws(() => decode(raw(value)), (error: unknown) => error instanceof ProtocolError && pattern.test(error.message), JSON.stringify(value).slice(0, 80));
    }
  });

  it('a hello lists the status feature; one from an older node (no features) still decodes, with none', () => {
    const hello = { t: 'hello', protocol: 1, node: 'n', url: null, database: 'system', position: 0, synced: true, startTime: null, tables: [] };
    const old = decode(raw(hello));
    assert.equal(old.t === 'hello' && old.features, undefined);
    const current = decode(raw({ ...hello, features: [NETWORK_FEATURE] }));
    assert.deepEqual(current.t === 'hello' && current.features, [NETWORK_FEATURE]);
    assert.throws(() => decode(raw({ ...hello, features: 'status' })), ProtocolError);
  });
});
