/**
 * The replication link's lifecycle against real parts (real LMDB in a temp dir, a real WebSocket
 * pair on loopback): a link whose socket closes while the handshake awaits storage must stay
 * closed, with its timers and listeners gone — not come back "open" (issue 9).
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
import { Link, type LinkEnvironment } from '../../node-core/replication/link.ts';
import { encode, PROTOCOL_VERSION, SUBPROTOCOL, type Hello } from '../../node-core/replication/protocol.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';

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
