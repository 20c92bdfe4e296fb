/**
 * Disk full on a receiver: node 1's root is a tmpfs (mounted here, the tests run as root)
 * shrunk to just above what it uses, while nodes 0 and 2 write. Node 1 must not crash nor
 * take in what it could not store (nothing lost once it resumes), must show the problem in
 * cluster_status, and must catch up by itself once the disk has room again.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeProcess, waitFor } from '../support/node-process.ts';
import { STORAGE_FAILED_STATUS } from '../../node-core/storage/commit-failure.ts';
import { sleep } from '../support/history.ts';
import { scenarioTests } from './scenario.ts';

/** The tmpfs starts this big (room for the node to start)... */
const INITIAL_TMPFS_BYTES = 256 * 1024 * 1024;
/** ...is shrunk to its use plus this during the fault... */
const FULL_HEADROOM_BYTES = 256 * 1024;
/** ...and grows back to INITIAL_TMPFS_BYTES for the heal. */
const ALARM_TIMEOUT_MS = 30_000;
const ALARM = /ENOSPC|no space|disk|full|MDB_MAP_FULL/i;

function canMount(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const usedBytes = (dir: string) => {
  const stats = fs.statfsSync(dir);
  return (stats.blocks - stats.bfree) * stats.bsize;
};
const remount = (dir: string, bytes: number) => execFileSync('mount', ['-o', `remount,size=${Math.ceil(bytes / 4096) * 4096}`, dir]);

const MOUNTABLE = canMount();

describe('disk full on one node', { skip: MOUNTABLE ? false : 'needs mount privileges for a tmpfs' }, () => {
  test('writes to a full disk answer 507 naming the cause, the node keeps running, and writes work again once there is room', { timeout: 120_000 }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${INITIAL_TMPFS_BYTES}`, 'tmpfs', root]);
    const node = await NodeProcess.start({ root });
    try {
      await node.ok({ operation: 'create_table', database: 'disk', table: 'blob', primary_key: 'id' });
      remount(root, usedBytes(root) + FULL_HEADROOM_BYTES);
      const payload = 'x'.repeat(64 * 1024);
      let refused: { status: number; body: unknown } | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const response = await node.op({ operation: 'insert', database: 'disk', table: 'blob', records: [{ id: i, payload }] });
        if (response.status !== 200) refused = response;
      }
      assert.ok(refused, 'the disk never filled');
      assert.equal(refused.status, STORAGE_FAILED_STATUS, JSON.stringify(refused.body));
      assert.match(String((refused.body as { error?: string }).error), /disk is full, read-only or failing/);
      await sleep(500);
      assert.ok(node.running, `the node died on a full disk:\n${node.stderr.slice(-2000)}`);
      remount(root, INITIAL_TMPFS_BYTES);
      await waitFor('writes to succeed again', async () => (await node.op({ operation: 'insert', database: 'disk', table: 'blob', records: [{ id: 'after', payload: 'ok' }] })).status === 200, 20_000, 250);
    } finally {
      await node.cleanup();
      execFileSync('umount', [root]);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('disk full on a receiver', { skip: MOUNTABLE ? false : 'needs mount privileges for a tmpfs' }, () => {
  /** one tmpfs per run (ws, wss), unmounted when the test process ends */
  const mounts: string[] = [];
  scenarioTests({
    name: 'disk full on a receiver, then room again',
    perNode: (i) => {
      if (i !== 1) return {};
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-full-disk-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${INITIAL_TMPFS_BYTES}`, 'tmpfs', root]);
      mounts.push(root);
      return { root };
    },
    writers: (net) => [net.node(0), net.node(2)],
    workload: { payloadBytes: 2048 },
    body: async ({ net, note }) => {
      const root = mounts[mounts.length - 1]!;
      await sleep(500);
      remount(root, usedBytes(root) + FULL_HEADROOM_BYTES);
      const receiver = net.node(1);
      const alarm = await waitFor('node 1 to show the full disk in cluster_status', async () => {
        const status = JSON.stringify(await receiver.ok({ operation: 'cluster_status' }));
        return ALARM.exec(status)?.[0];
      }, ALARM_TIMEOUT_MS, 250).catch((error: Error) => error);
      await sleep(1_000);
      assert.ok(receiver.running, `node 1 crashed on a full disk:\n${receiver.stderr.slice(-2000)}`);
      remount(root, INITIAL_TMPFS_BYTES);
      note(typeof alarm === 'string' ? `alarm: ${alarm}` : 'no alarm');
      assert.equal(typeof alarm, 'string', String(alarm));
    },
  }, { timeoutMs: 180_000 });
  process.on('exit', () => {
    for (const root of mounts) {
      try {
        execFileSync('umount', [root], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
