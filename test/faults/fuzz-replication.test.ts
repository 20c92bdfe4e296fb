/**
 * Fuzzing the replication protocol (issue 9) with fast-check, against real nodes over ws and
 * wss, from a hand-built client that writes raw WebSocket bytes (test/support/raw-replication.ts).
 * Frames are random bytes, mutated valid messages (bytes flipped, cut, stray bytes appended),
 * well-typed messages with random fields, and multi-byte strings that fail to decode. They are
 * sent before any hello, in the same TCP write as a hello, and after the node's hello came back;
 * as a stranger and as a known member (ws: by source address; wss: with a certificate from a CA
 * the node trusts). For every case:
 * - a link that closes does so with a close frame (never a dropped connection: the node lives)
 *   and a reason of at most 123 bytes;
 * - a frame that does not decode, or any hello from a stranger, always closes the link;
 * - the node keeps serving, and the data (dev.t) and hdb_nodes are unchanged at the end; no
 *   database appears for a stranger.
 * The known member's link is for database `fuzz`, so frames that are valid writes land there.
 * Counts of frames and of outcomes are printed. Runs in well under a minute.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { after, before, describe, test } from 'node:test';
import { MAX_CLOSE_REASON_BYTES } from '../../node-core/replication/close-reason.ts';
import { PEER_MESSAGE_CHECKS } from '../../node-core/replication/peer-requests.ts';
import { CloseCode, decode, encode, type Message } from '../../node-core/replication/protocol.ts';
import { REPLICATION_PORT, SECURE_REPLICATION_PORT, startClusterNode, tableState, waitFor } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { createTestAuthority, issueTestCertificate } from '../support/pki.ts';
import { encodeHello, helloFrom, RawPeer } from '../support/raw-replication.ts';

type Row = Record<string, any>;
const FUZZ_DATABASE = 'fuzz';
/** How long a link that should close may take; and how long one that may stay open is watched. */
const MUST_CLOSE_WITHIN_MS = 5_000;
const MAY_STAY_OPEN_MS = 150;
const RUNS = { ws: 200, wss: 120 };
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const now = Date.now();
const TEMPLATES: Message[] = [
  { t: 'txns', entries: [[1, { v: now, o: 'x', u: null, w: [{ t: 'items', k: 1, r: { id: 1, name: 'a' } }] }]], through: 1 },
  { t: 'txns', entries: [], through: 7 },
  { t: 'ack', seq: 3 },
  { t: 'copy-start', total: 1, sequence: 2, tables: [{ name: 'items', primaryKey: 'id', attributes: ['id'], replicate: true }] },
  { t: 'copy', table: 'items', records: [[1, now, 'x', { id: 1 }], [2, now, 'x', null]] },
  { t: 'copy-end', sequence: 2 },
  { t: 'verify', id: 1, tables: ['items'] },
  { t: 'verify-result', id: 1, results: [{ table: 'items', record_count: 0, digest: 'ab' }] },
  { t: 'resync-request' },
  { t: 'certificate', certificate: 'not a pem', ca: 'not a pem' },
] as Message[];
const TYPES = [...new Set(TEMPLATES.map((m) => m.t)), 'hello', 'status-request', 'status-result', 'bogus', ''];

const randomBytes = fc.uint8Array({ minLength: 0, maxLength: 160 }).map((bytes) => Buffer.from(bytes));
const mutated = fc
  .tuple(fc.constantFrom(...TEMPLATES.map((m) => encode(m))), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }), fc.uint8Array({ maxLength: 3 }))
  .map(([frame, flips, cut, tail]) => {
    const bytes = Buffer.from(frame);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    const kept = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    return Buffer.concat([kept, Buffer.from(tail)]);
  });
const wellTyped = fc
  .tuple(fc.constantFrom(...TYPES), fc.dictionary(fc.constantFrom('id', 'seq', 'through', 'entries', 'records', 'table', 'tables', 'total', 'sequence', 'results', 'node', 'x'), fc.anything({ maxDepth: 2 }), { maxKeys: 4 }))
  .map(([t, fields]) => packr.pack({ ...fields, t }));
const multibyte = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).map((text) => Buffer.concat([packr.pack(text), Buffer.from([0xc1])]));
const valid = fc.constantFrom(...TEMPLATES.map((m) => encode(m)));
const frameArb = fc.oneof(
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: mutated, weight: 2 },
  { arbitrary: wellTyped, weight: 3 },
  { arbitrary: multibyte, weight: 1 },
  { arbitrary: valid, weight: 2 },
);

const decodes = (frame: Buffer): boolean => {
  try {
    decode(frame, PEER_MESSAGE_CHECKS);
    return true;
  } catch {
    return false;
  }
};

type Transport = 'ws' | 'wss';
type Scenario = 'before-hello' | 'with-hello' | 'after-hello';
type Who = 'stranger' | 'member';

interface Target {
  node: NodeProcess;
  url: string;
  transport: Transport;
  member: string;
  connect(who: Who): Promise<RawPeer>;
}

const counts = new Map<string, number>();
const count = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);

/** Send one case; check how the link ends. */
async function runCase(target: Target, scenario: Scenario, who: Who, frames: Buffer[]): Promise<void> {
  const peer = await target.connect(who);
  const name = who === 'member' ? target.member : strangerName;
  const hello = encodeHello(helloFrom(name, FUZZ_DATABASE));
  try {
    if (scenario === 'before-hello') peer.send(...frames);
    else if (scenario === 'with-hello') peer.send(hello, ...frames);
    else {
      peer.send(hello);
      const answered = await Promise.race([waitFor('the node hello', () => peer.messages.length > 0, MUST_CLOSE_WITHIN_MS, 5).then(() => true), peer.closed.then(() => false)]);
      if (!answered) {
        const close = await peer.closed;
        assert.fail(`a ${who}'s hello alone was closed: ${JSON.stringify(close)}`);
      }
      peer.send(...frames);
    }
    count(`frames ${target.transport}`, frames.length + (scenario === 'before-hello' ? 0 : 1));
    const firstUndecodable = frames.findIndex((frame) => !decodes(frame));
    const mustClose =
      (scenario === 'before-hello' && frames.length > 0) || (who === 'stranger' && scenario !== 'before-hello') || firstUndecodable >= 0;
    const close = mustClose ? await peer.closedWithin(MUST_CLOSE_WITHIN_MS) : await peer.closedWithin(MAY_STAY_OPEN_MS);
    const label = `${target.transport} ${scenario} ${who}`;
    if (!close) {
      assert.ok(!mustClose, `${label}: link still open after ${frames.map((f) => f.toString('hex').slice(0, 80)).join(' | ')}`);
      count(`${label}: stayed open`);
      return;
    }
    assert.notEqual(close.code, 1006, `${label}: connection dropped without a close frame (node alive: ${target.node.running})`);
    assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES, `${label}: reason of ${close.reasonBytes} bytes`);
    assert.ok(close.reasonWellFormed, `${label}: reason cut inside a character: ${close.reason}`);
    if (who === 'stranger' && scenario !== 'before-hello') assert.equal(close.code, CloseCode.refused, `${label}: ${JSON.stringify(close)}`);
    count(`${label}: closed ${close.code}`);
  } finally {
    peer.destroy();
  }
}

const strangerName = freshLoopbackAddress();

interface Snapshot {
  data: string;
  nodes: string;
  databases: string[];
}

async function snapshot(node: NodeProcess): Promise<Snapshot> {
  const data = JSON.stringify([...(await tableState(node, 'dev', 't')).entries()].sort());
  const nodes = await node.ok<Row[]>({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' });
  const databases = Object.keys(await node.ok<Row>({ operation: 'describe_all' })).sort();
  return { data, nodes: JSON.stringify(nodes.sort((a, b) => String(a.name).localeCompare(String(b.name)))), databases };
}

function fuzz(transport: Transport, setup: () => Promise<Target>): void {
  describe(`replication protocol fuzzing over ${transport}`, () => {
    let target: Target;
    let before_: Snapshot;
    before(async () => {
      target = await setup();
      await target.node.ok({ operation: 'create_table', database: 'dev', table: 't', primary_key: 'id' });
      await target.node.ok({ operation: 'insert', database: 'dev', table: 't', records: Array.from({ length: 20 }, (_, i) => ({ id: i, text: `row ${i} é` })) });
      // The member's first link creates database `fuzz` (a member may bring a database).
      const peer = await target.connect('member');
      peer.send(encodeHello(helloFrom(target.member, FUZZ_DATABASE)));
      await waitFor('the node to answer the member', () => peer.messages.length > 0, MUST_CLOSE_WITHIN_MS, 5);
      peer.destroy();
      before_ = await snapshot(target.node);
    });
    after(async () => {
      await target?.node.cleanup();
    });

    const frames = fc.array(frameArb, { minLength: 1, maxLength: 3 });
    let run = 0;
    for (const scenario of ['before-hello', 'with-hello', 'after-hello'] as const) {
      for (const who of ['stranger', 'member'] as const) {
        if (scenario === 'before-hello' && who === 'member') continue; // nobody is anyone before a hello
        if (scenario === 'after-hello' && who === 'stranger') continue; // a stranger's hello is refused
        const seed = SEED + run++; // each scenario its own frames
        test(`${scenario}, as a ${who}`, async () => {
          await fc.assert(
            fc.asyncProperty(frames, (batch) => runCase(target, scenario, who, batch)),
            { numRuns: RUNS[transport], seed, endOnFailure: true, includeErrorInReport: true },
          );
          assert.ok(target.node.running, `the node exited:\n${target.node.stderr.slice(-3000)}`);
        });
      }
    }

    test('bytes that are not WebSocket frames at all, as a stranger and as a member', async () => {
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 }), async (asMember, bytes) => {
          const peer = await target.connect(asMember ? 'member' : 'stranger');
          try {
            if (asMember) peer.send(encodeHello(helloFrom(target.member, FUZZ_DATABASE)));
            peer.writeRaw(Buffer.from(bytes));
            count(`frames ${target.transport}`);
            const close = await peer.closedWithin(MAY_STAY_OPEN_MS);
            const label = `${target.transport} raw-bytes ${asMember ? 'member' : 'stranger'}`;
            if (!close) return void count(`${label}: stayed open`);
            assert.ok(close.reasonBytes <= MAX_CLOSE_REASON_BYTES, `${label}: reason of ${close.reasonBytes} bytes`);
            count(`${label}: closed ${close.code}`);
          } finally {
            peer.destroy();
          }
        }),
        { numRuns: Math.round(RUNS[transport] / 2), seed: SEED, endOnFailure: true, includeErrorInReport: true },
      );
      assert.ok(target.node.running, `the node exited:\n${target.node.stderr.slice(-3000)}`);
      assert.equal((await target.node.op({ operation: 'cluster_status' })).status, 200);
    });

    test('the node keeps serving; data and hdb_nodes are unchanged; strangers created nothing', async () => {
      assert.ok(target.node.running);
      const after_ = await snapshot(target.node);
      assert.equal(after_.data, before_.data, 'dev.t changed');
      assert.equal(after_.nodes, before_.nodes, 'hdb_nodes changed');
      // A member may bring databases in a (mutated) hello; a stranger never.
      assert.ok(!after_.databases.some((d) => d.startsWith('stranger')), JSON.stringify(after_.databases));
      console.log(`fuzz ${transport} (seed ${SEED}): ${[...counts].filter(([k]) => k.startsWith(transport + ' ') || k === `frames ${transport}`).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    });
  });
}

fuzz('ws', async () => {
  const member = freshLoopbackAddress();
  const node = await startClusterNode();
  await node.ok({ operation: 'add_node', hostname: member });
  const url = `ws://${node.host}:${REPLICATION_PORT}`;
  return { node, url, transport: 'ws', member, connect: (who) => RawPeer.connect(url, who === 'member' ? { localAddress: member } : {}) };
});

fuzz('wss', async () => {
  const member = freshLoopbackAddress();
  const [node, authority] = await Promise.all([startClusterNode({ secure: true }), createTestAuthority('Fuzz Test CA')]);
  await node.ok({ operation: 'add_certificate', name: 'fuzz-test-ca', certificate: authority.certificate, is_authority: true });
  await node.ok({ operation: 'add_node', hostname: member });
  const certificate = await issueTestCertificate(authority, member);
  const url = `wss://${node.host}:${SECURE_REPLICATION_PORT}`;
  const credentials = { cert: certificate.certificate, key: certificate.privateKey };
  return { node, url, transport: 'wss', member, connect: (who) => RawPeer.connect(url, who === 'member' ? { credentials } : {}) };
});
