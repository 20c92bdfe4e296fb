/**
 * The replication link's lifecycle against real parts (real LMDB in a temp dir, a real WebSocket
 * pair on loopback): a link whose socket closes while the handshake awaits storage must stay
 * closed, with its timers and listeners gone — not come back "open" (issue 9). Also the state
 * machine's rules, byte-safe close reasons, frames built to a byte budget, and a publisher whose
 * large transactions each go in a frame the peer accepts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import { Logger } from '../../node-core/log/logger.ts';
import { DEFAULT_MAX_BODY_SIZE } from '../../node-core/config/schema.ts';
import { closeForError, closeReasonText, closeSocket, cutUtf8, MAX_CLOSE_REASON_BYTES, RefusalError } from '../../node-core/replication/close-reason.ts';
import { encodeItems, FrameAssembler, MAX_ITEM_BYTES, MAX_SAFE_BODY_BYTES } from '../../node-core/replication/frames.ts';
import { Link, type LinkEnvironment } from '../../node-core/replication/link.ts';
import { DirectLinks } from '../../node-core/replication/relay.ts';
import { SendBudget } from '../../node-core/replication/send-budget.ts';
import { PEER_MESSAGE_CHECKS, PeerRequests, VERIFY, type PeerRequestKind } from '../../node-core/replication/peer-requests.ts';
import { IllegalTransitionError, LinkInvariantError, LinkState, LinkStateMachine, OPEN_STATES } from '../../node-core/replication/link-state.ts';
import {
  CloseCode,
  decode,
  encode,
  encodeValue,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  SUBPROTOCOL,
  TARGET_FRAME_BYTES,
  type Hello,
} from '../../node-core/replication/protocol.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';
import type { LogEntry } from '../../node-core/storage/types.ts';
import { writeRecords } from '../../node-core/storage/writes.ts';

const roots: string[] = [];
const storages: Storage[] = [];
const servers: WebSocketServer[] = [];
after(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  for (const storage of storages) await storage.close();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function openDatabase(): { db: Database; clock: HybridLogicalClock } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-link-'));
  roots.push(root);
  const clock = new HybridLogicalClock();
  const storage = Storage.open(root, { nodeName: 'local-node', clock });
  storages.push(storage);
  return { db: storage.createDatabase('dev'), clock };
}

function environment(clock: HybridLogicalClock): LinkEnvironment {
  return {
    nodeName: 'local-node',
    nodeUrl: () => null,
    clock,
    logger: new Logger(null, 'error', () => undefined),
    policy: () => ({ publishes: () => true, subscribes: () => true }),
    claimCopy: () => true,
    releaseCopy: () => undefined,
    copyInProgress: () => null,
    startTime: () => null,
    authority: () => null,
    network: () => undefined,
    budget: new SendBudget(),
    relay: new DirectLinks({ links: () => [], fullPolicy: () => true, origins: () => [] }),
  };
}

/** A connected WebSocket pair on loopback: [the node's side, the peer's side]. */
async function socketPair(): Promise<[WebSocket, WebSocket]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, SUBPROTOCOL);
  await new Promise((resolve, reject) => (client.once('open', resolve), client.once('error', reject)));
  return [await accepted, client];
}

const hello = (tables: Hello['tables']): Hello => ({
  t: 'hello', protocol: PROTOCOL_VERSION, node: 'peer-node', url: null, database: 'dev', position: 0, synced: true, startTime: Date.now(), tables, ca: null,
});

/** Resolves once `promise` settles and the microtasks after it have run. */
const settled = async (promise: Promise<unknown>) => {
  await promise.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
};

describe('a link closed while its handshake awaits storage', () => {
  for (const direction of ['outbound', 'inbound'] as const) {
    test(`${direction}: stays closed — no resurrection as open, no ping timer, no commit listener`, async () => {
      const { db, clock } = openDatabase();
      // Hold ensureTables (a real LMDB write) until the socket has closed.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const realEnsure = db.ensureTables.bind(db);
      let ensuring: Promise<void> | null = null;
      db.ensureTables = (definitions) => (ensuring = gate.then(() => realEnsure(definitions)));
      const [serverSide, clientSide] = await socketPair();
      // outbound: this node dialed (client side); inbound: the peer dialed this node
      const [nodeSide, peerSide] = direction === 'outbound' ? [clientSide, serverSide] : [serverSide, clientSide];
      const link = new Link(nodeSide, db, direction, environment(clock), 'peer-node');
      const closed = new Promise<void>((resolve) => link.onClosed(() => resolve()));
      const peerHello = encode(hello([{ name: 'fresh', primaryKey: 'id', attributes: ['id'], replicate: true }]));
      if (direction === 'inbound') link.deliver(peerHello);
      else peerSide.send(peerHello);
      await waitUntil(() => ensuring !== null);
      peerSide.terminate();
      await closed;
      assert.equal(link.state, 'closed');
      release();
      await settled(ensuring!);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(link.state, 'closed', 'the link came back open after its socket closed');
      assert.deepEqual(link.resources(), [], 'resources still held by a closed link');
    });
  }
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LinkStateMachine', () => {
  test('legal moves pass, illegal ones throw IllegalTransitionError and leave the state as it was', () => {
    const machine = new LinkStateMachine(LinkState.connecting);
    machine.transition(LinkState.awaitingCopy);
    machine.transition(LinkState.hello);
    machine.transition(LinkState.streaming);
    machine.transition(LinkState.copyingOut);
    machine.transition(LinkState.streaming);
    assert.throws(() => machine.transition(LinkState.hello), IllegalTransitionError);
    assert.throws(() => machine.transition(LinkState.connecting), IllegalTransitionError);
    assert.equal(machine.state, LinkState.streaming);
    machine.transition(LinkState.closing);
    assert.throws(() => machine.transition(LinkState.streaming), IllegalTransitionError);
    machine.transition(LinkState.closed);
    for (const to of Object.values(LinkState)) assert.throws(() => machine.transition(to), IllegalTransitionError, `closed -> ${to}`);
  });

  test('a resource is disposed on leaving its states, and every resource on closing', () => {
    const machine = new LinkStateMachine(LinkState.hello);
    const disposed: string[] = [];
    machine.own('handshake-timer', () => disposed.push('handshake-timer'));
    machine.transition(LinkState.awaitingCopy);
    assert.deepEqual(disposed, ['handshake-timer']);
    machine.own('ping', () => disposed.push('ping'), [LinkState.awaitingCopy, LinkState.streaming, LinkState.copyingOut]);
    machine.transition(LinkState.streaming);
    machine.own('commits', () => disposed.push('commits'), OPEN_STATES);
    machine.transition(LinkState.copyingOut);
    machine.transition(LinkState.streaming);
    assert.deepEqual(machine.resources().sort(), ['commits', 'ping']);
    machine.transition(LinkState.closing);
    assert.deepEqual(disposed.sort(), ['commits', 'handshake-timer', 'ping']);
    assert.deepEqual(machine.resources(), []);
  });

  test('a resource owned outside its states is an invariant error; replacing one disposes the old', () => {
    const machine = new LinkStateMachine(LinkState.hello);
    assert.throws(() => machine.own('x', () => undefined, OPEN_STATES), LinkInvariantError);
    let first = 0;
    machine.own('timer', () => first++);
    machine.own('timer', () => undefined);
    assert.equal(first, 1);
  });

  test('open and closed are events, each fired once', () => {
    const machine = new LinkStateMachine(LinkState.hello);
    let opened = 0;
    let closed = 0;
    machine.onOpen(() => opened++);
    machine.onClosed(() => closed++);
    machine.transition(LinkState.copyingOut);
    machine.transition(LinkState.streaming);
    machine.transition(LinkState.closed);
    machine.onClosed(() => closed++); // late listener: at once
    assert.deepEqual([opened, closed], [1, 2]);
    const never = new LinkStateMachine(LinkState.hello);
    never.onOpen(() => opened++);
    never.transition(LinkState.closed);
    assert.equal(opened, 1);
  });
});

describe('close reasons', () => {
  test('cut to 123 bytes on a code-point boundary, whatever the characters', () => {
    for (const char of ['a', 'é', '€', '😀', 'ü\u0308']) {
      const text = `protocol error: ${char.repeat(200)}`;
      const reason = closeReasonText(text);
      assert.ok(Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES, `${char}: ${Buffer.byteLength(reason)} bytes`);
      assert.ok(text.startsWith(reason.slice(0, -1)) && reason.endsWith('…'), reason);
      assert.equal(Buffer.from(reason).toString(), reason, 'well-formed');
    }
    assert.equal(closeReasonText('short'), 'short');
    assert.equal(cutUtf8('a😀b', 4), 'a');
    assert.equal(cutUtf8('a😀b', 5), 'a😀');
  });

  test('closeSocket never throws, even for a reason ws would refuse and on a closed socket', async () => {
    const [serverSide, clientSide] = await socketPair();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => clientSide.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    closeSocket(serverSide, CloseCode.protocolError, 'é'.repeat(500));
    closeSocket(serverSide, CloseCode.protocolError, 'again');
    const close = await closed;
    assert.equal(close.code, CloseCode.protocolError);
    assert.ok(Buffer.byteLength(close.reason) <= MAX_CLOSE_REASON_BYTES);
    closeSocket(serverSide, CloseCode.protocolError, 'after close');
  });

  test('errors map to codes: protocol 4002, refusal 4003, anything else 4011', () => {
    assert.equal(closeForError(new ProtocolError('x')).code, CloseCode.protocolError);
    assert.equal(closeForError(new RefusalError('x')).code, CloseCode.refused);
    assert.equal(closeForError(new Error('x')).code, CloseCode.internal);
  });
});

describe('frames built to a byte budget', () => {
  test('an assembled frame decodes to the message encode would give', () => {
    const frame = new FrameAssembler();
    const entries: Array<[number, LogEntry]> = Array.from({ length: 40 }, (_, i) => [i + 1, { v: 1000 + i, o: 'n', u: null, w: [{ t: 'x', k: i, r: { id: i, s: 'é'.repeat(i) } }] }]);
    for (const entry of entries) frame.add(encodeValue(entry));
    assert.deepEqual(decode(frame.build('txns', 'entries', { through: 40 })), { t: 'txns', entries, through: 40 });
  });

  test('items encoded in chunks assemble to the same frame as items encoded one by one', () => {
    const entries: Array<[number, LogEntry]> = Array.from({ length: 70 }, (_, i) => [i + 1, { v: 1000 + i, o: 'n', u: null, w: [{ t: 'x', k: i, r: { id: i } }] }]);
    for (const size of [1, 15, 16, 32, 70]) {
      const chunked = new FrameAssembler();
      for (let i = 0; i < entries.length; i += size) chunked.add(encodeItems(entries.slice(i, i + size)), Math.min(size, entries.length - i));
      assert.deepEqual(decode(chunked.build('txns', 'entries', { through: 70 })), { t: 'txns', entries, through: 70 }, `chunks of ${size}`);
    }
  });

  test('the first item always joins if it fits a frame alone; later ones wait past the target; none past MAX_ITEM_BYTES', () => {
    const frame = new FrameAssembler(100);
    assert.ok(frame.fits(5_000));
    frame.add(Buffer.alloc(5_000));
    assert.ok(!frame.fits(1));
    assert.ok(!new FrameAssembler().fits(MAX_ITEM_BYTES + 1));
    assert.ok(MAX_ITEM_BYTES < MAX_FRAME_BYTES && TARGET_FRAME_BYTES < MAX_ITEM_BYTES);
    assert.ok(DEFAULT_MAX_BODY_SIZE <= MAX_SAFE_BODY_BYTES);
  });
});

/** A test peer for the node's outbound link: says hello, acks txns, records every frame. */
async function publishingPeer(db: Database, clock: HybridLogicalClock) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_BYTES, handleProtocols: () => SUBPROTOCOL });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const frames: Array<{ t: string; bytes: number; message: Record<string, any> }> = [];
  const peerClosed: Array<{ code: number; reason: string }> = [];
  server.on('connection', (peer) => {
    peer.on('close', (code, reason) => peerClosed.push({ code, reason: reason.toString() }));
    peer.on('error', () => undefined);
    peer.on('message', (data: Buffer) => {
      const message = decode(data) as Record<string, any>;
      frames.push({ t: message.t, bytes: data.length, message });
      if (message.t === 'hello') peer.send(encode({ ...hello([]), node: 'peer-node', synced: true, startTime: null }));
      if (message.t === 'txns') peer.send(encode({ t: 'ack', seq: message.through }));
    });
  });
  const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, SUBPROTOCOL, { maxPayload: MAX_FRAME_BYTES });
  socket.on('error', () => undefined);
  const link = new Link(socket, db, 'outbound', environment(clock), 'peer-node');
  return { link, frames, peerClosed };
}

describe('publishing in frames capped in bytes', () => {
  /**
   * The node's outbound link publishes its log to a test peer whose socket refuses frames over
   * MAX_FRAME_BYTES (as every node's does). Capped by count, a few large transactions made one
   * frame the peer refuses, and the link re-sent it forever; capped in bytes, each goes alone.
   */
  test('three transactions of 40% of MAX_FRAME_BYTES each reach the peer, each frame within the limit', async () => {
    const { db, clock } = openDatabase();
    await db.createTable({ name: 'big', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
    const table = db.requireTable('big');
    const size = Math.floor(MAX_FRAME_BYTES * 0.4);
    for (let i = 0; i < 3; i++) {
      await db.transact((tx) => writeRecords(tx, table, [{ id: i, blob: String(i).repeat(size) }], [i], 'upsert'), { user: null });
    }
    const { link, frames, peerClosed } = await publishingPeer(db, clock);
    try {
      const txns = () => frames.filter((f) => f.t === 'txns');
      await waitUntil(() => txns().length >= 3 || peerClosed.length > 0 || link.state === 'closed', 30_000);
      assert.deepEqual(peerClosed, [], 'the peer refused a frame');
      assert.equal(txns().length, 3, `frames: ${txns().map((f) => f.bytes).join(', ')}`);
      for (const frame of txns()) assert.ok(frame.bytes <= MAX_FRAME_BYTES, `${frame.bytes} bytes`);
    } finally {
      link.close(CloseCode.normal, 'test done');
    }
  });

  test('a transaction larger than any frame goes to the peer as a copy, not re-sent forever; streaming goes on', async () => {
    const { db, clock } = openDatabase();
    await db.createTable({ name: 'big', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
    const table = db.requireTable('big');
    const write = (records: Array<Record<string, unknown>>) =>
      db.transact((tx) => writeRecords(tx, table, records, records.map((r) => r.id as number), 'upsert'), { user: null });
    await write([{ id: 0, note: 'before' }]);
    // records of 1 MiB, more of them than a frame carries: one transaction over MAX_FRAME_BYTES
    const blob = 'x'.repeat(1024 * 1024);
    const records = Array.from({ length: Math.ceil(MAX_FRAME_BYTES / (1024 * 1024)) + 6 }, (_, i) => ({ id: 100 + i, blob }));
    await write(records);
    await write([{ id: 1, note: 'after' }]);
    const { link, frames, peerClosed } = await publishingPeer(db, clock);
    try {
      await waitUntil(() => frames.some((f) => f.t === 'copy-end') || peerClosed.length > 0 || link.state === 'closed', 60_000);
      assert.deepEqual(peerClosed, [], 'the peer refused a frame');
      assert.equal(link.state, 'open');
      for (const frame of frames) assert.ok(frame.bytes <= MAX_FRAME_BYTES, `${frame.t} of ${frame.bytes} bytes`);
      const copied = new Set(frames.filter((f) => f.t === 'copy').flatMap((f) => f.message.records.map((r: unknown[]) => r[0])));
      for (const record of records) assert.ok(copied.has(record.id), `record ${record.id} not in the copy`);
      assert.ok(copied.has(1), 'the transaction after the oversized one is in the copy');
      // Streaming carries on after the copy.
      await write([{ id: 2, note: 'later' }]);
      await waitUntil(() => frames.some((f) => f.t === 'txns' && f.message.entries.some(([, e]: [number, LogEntry]) => e.w.some((w) => w.k === 2))), 10_000);
    } finally {
      link.close(CloseCode.normal, 'test done');
    }
  });
});

describe('peer requests through one table', () => {
  /** Two ends wired through the real encoding and checks (what a socket would carry). */
  function pair(db: Database, answering: PeerRequestKind<any, any>[] = [VERIFY]) {
    let a!: PeerRequests;
    let b!: PeerRequests;
    const carry = (to: () => PeerRequests) => (message: object) => {
      const decoded = decode(encode(message as never), PEER_MESSAGE_CHECKS);
      void to().receive(decoded as never);
    };
    a = new PeerRequests({ database: db, peer: 'b' }, carry(() => b));
    b = new PeerRequests({ database: db, peer: 'a' }, carry(() => a), answering);
    return { a, b };
  }

  test('verify answers digests of the tables the peer has', async () => {
    const { db } = openDatabase();
    await db.createTable({ name: 'items', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
    const { a } = pair(db);
    const { results } = await a.ask(VERIFY, { tables: ['items', 'missing'] });
    assert.deepEqual(results.map((r) => r.table), ['items']);
  });

  test('an answer that throws fails that request with the reason, and a bad request is a protocol error', async () => {
    const { db } = openDatabase();
    const failing: typeof VERIFY = {
      ...VERIFY,
      answer: () => {
        throw new Error('cannot digest now');
      },
    };
    const { a } = pair(db, [failing]);
    await assert.rejects(a.ask(failing, { tables: [] }), /could not answer verify: cannot digest now/);
    assert.throws(() => decode(encode({ t: 'verify', id: 1, tables: 'x' } as never), PEER_MESSAGE_CHECKS), ProtocolError);
    assert.throws(() => decode(encode({ t: 'verify-result', tables: [] } as never), PEER_MESSAGE_CHECKS), /no id/);
  });
});
