/**
 * Attack: another local user reads the node's data (issue 10 item 8): system.mdb holds the
 * password hashes. A new root is created 0700 and database files 0600; a root left with lax
 * modes (made by an older version, or copied) is tightened at the next start.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe('file modes of a node root', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-modes-'));
  after(() => fs.rmSync(parent, { recursive: true, force: true }));

  test('a new root is 0700, database files 0600', async () => {
    const root = path.join(parent, 'fresh', 'node');
    const node = await NodeProcess.start({ root });
    try {
      await node.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
      assert.equal(mode(root), '700');
      assert.equal(mode(path.join(root, 'database')), '700');
      for (const file of ['system.mdb', 'system.mdb-lock', 'dev.mdb', 'dev.mdb-lock']) assert.equal(mode(path.join(root, 'database', file)), '600', file);
    } finally {
      await node.cleanup();
    }
  });

  test('lax modes of an existing root are tightened at start', async () => {
    const root = path.join(parent, 'lax');
    const first = await NodeProcess.start({ root });
    await first.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await first.stop();
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, 'database'), 0o755);
    fs.chmodSync(path.join(root, 'database', 'system.mdb'), 0o644);
    fs.chmodSync(path.join(root, 'database', 'dev.mdb'), 0o666);
    const again = await NodeProcess.start({ root });
    try {
      assert.equal(mode(root), '700');
      assert.equal(mode(path.join(root, 'database')), '700');
      assert.equal(mode(path.join(root, 'database', 'system.mdb')), '600');
      assert.equal(mode(path.join(root, 'database', 'dev.mdb')), '600');
    } finally {
      await again.cleanup();
    }
  });
});
