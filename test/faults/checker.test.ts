/**
 * The fault suite's own parts, checked against known answers so a scenario's "0 lost" means
 * something: the invariant checker finds a planted lost write, resurrected delete, ghost, torn
 * record and torn transaction, and accepts a clean history; the fault proxy passes, delays,
 * throttles, blackholes, corrupts and resets bytes, and keeps the dialer's source address.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FaultProxy } from '../support/fault-proxy.ts';
import { checksum, History, type WriteOp } from '../support/history.ts';
import { check, maxDialsPerLink, type StoredItem, type TableSnapshot } from '../support/invariants.ts';
import { freshLoopbackAddress } from '../support/node-process.ts';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../../node-core/replication/manager.ts';

/** Any free port works: the proxy has a loopback address of its own. */
const PROXY_PORT = 19_871;

function item(key: string, token: string, version: number, batch = token): StoredItem {
  const payload = `p-${token}`;
  return { id: key, w: token, b: batch, payload, sum: checksum(key, token, batch, payload), $version: version, $origin: 'n1' };
}

function write(history: History, key: string, token: string, version: number, node = 'n1', at = 0): WriteOp {
  const op: WriteOp = { kind: 'write', key, token, batch: token, node, startedAt: at, acked: true, ackedAt: at + 1, version };
  history.ops.push(op);
  return op;
}

describe('invariant checker', () => {
  test('a clean history passes; the newer write wins', () => {
    const history = new History();
    write(history, 'a', 't1', 10);
    write(history, 'a', 't2', 20, 'n2');
    const state: TableSnapshot = new Map([['a', item('a', 't2', 20)]]);
    assert.deepEqual(check(history, state), { lostWrites: [], resurrectedDeletes: [], divergence: [], tornOrGhost: [], tornTransactions: [] });
  });
  test('finds an acknowledged write lost to an older version, and one gone with no delete', () => {
    const history = new History();
    write(history, 'a', 't1', 10);
    write(history, 'a', 't2', 20);
    write(history, 'b', 't3', 30);
    const verdict = check(history, new Map([['a', item('a', 't1', 10)]]));
    assert.equal(verdict.lostWrites.length, 2, JSON.stringify(verdict));
  });
  test('a delete explains an absent key, unless the same node acknowledged it before the write began', () => {
    const history = new History();
    history.ops.push({ kind: 'delete', key: 'a', node: 'n1', startedAt: 0, acked: true, ackedAt: 1 });
    write(history, 'a', 't1', 10, 'n1', 5);
    assert.equal(check(history, new Map()).lostWrites.length, 1);
    history.ops.push({ kind: 'delete', key: 'a', node: 'n2', startedAt: 6, acked: true, ackedAt: 7 });
    assert.equal(check(history, new Map()).lostWrites.length, 0);
  });
  test('finds a resurrected delete, a ghost, a torn record and a torn transaction', () => {
    const history = new History();
    write(history, 'a', 't1', 10);
    history.ops.push({ kind: 'delete', key: 'a', node: 'n2', startedAt: 20, acked: true, ackedAt: 21, priorVersion: 10 });
    write(history, 'c', 'tx/c', 40);
    write(history, 'd', 'tx/d', 40);
    const torn = { ...item('c', 'tx/c', 40, 'tx'), payload: 'changed' };
    const state: TableSnapshot = new Map([
      ['a', item('a', 't1', 10)],
      ['g', item('g', 'nobody', 5)],
      ['c', torn],
      ['d', { ...item('d', 'tx/d', 40, 'tx'), $version: 41 }],
    ]);
    const verdict = check(history, state);
    assert.equal(verdict.resurrectedDeletes.length, 1, JSON.stringify(verdict));
    assert.ok(verdict.tornOrGhost.some((v) => v.startsWith('ghost: g')), JSON.stringify(verdict));
    assert.ok(verdict.tornOrGhost.some((v) => v.startsWith('torn: c')), JSON.stringify(verdict));
    assert.equal(verdict.tornTransactions.length, 1, JSON.stringify(verdict));
  });
  test('the dial bound follows the backoff constants', () => {
    assert.equal(maxDialsPerLink(0), 1);
    assert.equal(maxDialsPerLink(BACKOFF_BASE_MS), 2);
    // Past the cap, at most one dial per half cap.
    const long = 10 * BACKOFF_CAP_MS;
    assert.ok(maxDialsPerLink(long) <= 10 * 2 + Math.log2(BACKOFF_CAP_MS / BACKOFF_BASE_MS) + 2);
  });
});

describe('fault proxy', () => {
  const targetHost = freshLoopbackAddress();
  const proxyHost = freshLoopbackAddress();
  const clientHost = freshLoopbackAddress();
  let echo: net.Server;
  let proxy: FaultProxy;
  const sources: string[] = [];

  before(async () => {
    echo = net.createServer((socket) => {
      sources.push(socket.remoteAddress ?? '');
      socket.on('data', (data) => socket.write(data));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => echo.listen(0, targetHost, () => resolve()));
    proxy = await FaultProxy.start({ listenHost: proxyHost, listenPort: PROXY_PORT, targetHost, targetPort: (echo.address() as net.AddressInfo).port, seed: 7 });
  });
  after(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  function connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: proxyHost, port: PROXY_PORT, localAddress: clientHost }, () => resolve(socket));
      socket.on('error', reject);
    });
  }
  /** Send `bytes` and resolve with what came back and how long the last byte took (or null after `timeoutMs`). */
  function roundTrip(socket: net.Socket, bytes: Buffer, timeoutMs = 3_000): Promise<{ data: Buffer; ms: number } | null> {
    const started = Date.now();
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let received = 0;
      const timer = setTimeout(() => done(null), timeoutMs);
      const onData = (data: Buffer) => {
        chunks.push(data);
        received += data.length;
        if (received >= bytes.length) done({ data: Buffer.concat(chunks), ms: Date.now() - started });
      };
      const done = (value: { data: Buffer; ms: number } | null) => {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(value);
      };
      socket.on('data', onData);
      socket.write(bytes);
    });
  }

  test('passes bytes both ways and keeps the source address', async () => {
    const socket = await connect();
    const result = await roundTrip(socket, Buffer.from('hello'));
    assert.equal(result?.data.toString(), 'hello');
    assert.equal(sources.at(-1), clientHost);
    socket.destroy();
  });
  test('delay, bandwidth limit, corruption, blackhole, reset', async () => {
    const socket = await connect();
    proxy.set(clientHost, 'up', { mode: 'pass', delayMs: 300 });
    assert.ok((await roundTrip(socket, Buffer.from('x')))!.ms >= 290);
    proxy.set(clientHost, 'up', { mode: 'pass', bytesPerSecond: 64 * 1024 });
    const big = Buffer.alloc(64 * 1024, 1);
    const slow = await roundTrip(socket, big, 5_000);
    assert.ok(slow && slow.ms >= 800, `64 KB at 64 KB/s took ${slow?.ms} ms`);
    proxy.set(clientHost, 'down', { mode: 'pass', corruptChunks: 1, corruptAt: 'start' });
    proxy.set(clientHost, 'up', { mode: 'pass' });
    assert.equal((await roundTrip(socket, Buffer.from([0x01])))!.data[0], 0xfe);
    proxy.set(clientHost, 'up', { mode: 'blackhole' });
    assert.equal(await roundTrip(socket, Buffer.from('lost'), 500), null);
    assert.equal(socket.destroyed, false, 'a blackhole keeps the socket open');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    proxy.set(clientHost, 'both', { mode: 'reset' });
    await closed;
    await assert.rejects(connect().then((s) => new Promise((resolve, reject) => { s.on('error', reject); s.on('close', () => reject(new Error('reset'))); })));
    proxy.heal();
    const again = await connect();
    assert.equal((await roundTrip(again, Buffer.from('back')))?.data.toString(), 'back');
    again.destroy();
  });
});
