/**
 * The wait removed from replication's path (storage/visibility.ts): a transaction is announced as
 * visible, with its log entry readable, before transact() resolves (which waits for the flush).
 * Publishers wake on that notice. Real LMDB in a temp dir; order of events, not timings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HybridLogicalClock } from '../../node-core/clock/hlc.ts';
import type { Database } from '../../node-core/storage/database.ts';
import { Storage } from '../../node-core/storage/storage.ts';

const TRANSACTIONS = 40;

describe('transactions are announced when visible, before their flush', () => {
  let root: string;
  let storage: Storage;
  let db: Database;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-visible-'));
    storage = Storage.open(root, { nodeName: 'local-node', clock: new HybridLogicalClock() });
    db = storage.createDatabase('dev');
    await db.createTable({ name: 'dog', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  });
  after(async () => {
    await storage?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the log entry is readable at a visibility notice that comes before transact() resolves', async () => {
    /** sequences readable in the log at each notice */
    const readable = new Set<number>();
    const off = db.onVisible(() => readable.add(db.lastSequence()));
    let early = 0;
    try {
      for (let i = 0; i < TRANSACTIONS; i++) {
        let sequence = 0;
        await db.transact((tx) => {
          sequence = tx.sequence;
          tx.table('dog').writeRecord(i, { id: i }, tx.version, tx.origin, undefined);
          tx.logWrite({ t: 'dog', k: i, r: { id: i } });
        }, { user: null });
        // Resolved (flushed) now: had the notice come first, it saw this sequence.
        if (readable.has(sequence)) early++;
      }
    } finally {
      off();
    }
    // Every commit sends its notice before its flush; allow a few to have coalesced with another.
    assert.ok(early >= TRANSACTIONS * 0.9, `${early} of ${TRANSACTIONS} transactions were readable at a notice before transact() resolved`);
  });

  test('inside a transaction, nextVisible() resolves once it is visible, before transact() resolves', async () => {
    const ROUNDS = 20;
    let first = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let visible: Promise<void> | null = null;
      const order: string[] = [];
      await db.transact((tx) => {
        tx.table('dog').writeRecord(`n${i}`, { id: `n${i}` }, tx.version, tx.origin, undefined);
        tx.logWrite({ t: 'dog', k: `n${i}`, r: { id: `n${i}` } });
        visible = db.nextVisible();
        assert.ok(visible, 'this lmdb-js tells when a transaction is visible');
        void visible.then(() => order.push('visible'));
      }, { user: null });
      order.push('resolved');
      // A notice that was missed comes with the next transaction's: never hang on it.
      if (!order.includes('visible')) {
        await db.transact((tx) => tx.table('dog').writeRecord(`pad${i}`, { id: `pad${i}` }, tx.version, tx.origin, undefined), { user: null });
      }
      await visible;
      if (order[0] === 'visible') first++;
    }
    assert.ok(first >= ROUNDS * 0.9, `visible before resolved in ${first} of ${ROUNDS}`);
  });
});
