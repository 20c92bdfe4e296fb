/**
 * copy_progress's rate and ETA (node-core/replication/copy-rate.ts) and how the app reads them
 * (renderer/features/status/copy-progress.ts): the rate counts only what this copy (or its
 * resumption) applied, over its own time; no rate before MIN_RATE_WINDOW_MS; ETA 0 once done.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyProgressStatus, MIN_RATE_WINDOW_MS } from '../../node-core/replication/copy-rate.ts';
import { commitItemsFor, COPY_COMMIT_ITEMS, COPY_MIN_COMMIT_ITEMS, COPY_MIN_COMMITS } from '../../node-core/replication/copy-receive.ts';
import type { CopyProgress } from '../../node-core/replication/copy.ts';
import { copyProgressText } from '../../renderer/features/status/copy-progress.ts';

const START = 1_000_000;
const progress = (extra: Partial<CopyProgress>): CopyProgress => ({ copied: 0, total: 100_000, done: false, startedAt: START, resumedFrom: 0, endedAt: null, ...extra });

describe('copy_progress rate and ETA', () => {
  test('rate over the copy so far, and the time left at it', () => {
    const status = copyProgressStatus(progress({ copied: 40_000 }), START + 2_000);
    assert.deepEqual(status, { copied: 40_000, total: 100_000, done: false, records_per_s: 20_000, eta_s: 3, resumed_from: 0 });
  });

  test('a resumed copy: the items it had before do not count towards its rate', () => {
    const status = copyProgressStatus(progress({ copied: 60_000, resumedFrom: 50_000 }), START + 1_000);
    assert.equal(status.records_per_s, 10_000);
    assert.equal(status.eta_s, 4);
    assert.equal(status.resumed_from, 50_000);
  });

  test('no rate (nor ETA) before the window, a rate of 0 gives no ETA', () => {
    assert.deepEqual(copyProgressStatus(progress({ copied: 10 }), START + MIN_RATE_WINDOW_MS - 1).records_per_s, null);
    assert.equal(copyProgressStatus(progress({ copied: 10 }), START + MIN_RATE_WINDOW_MS - 1).eta_s, null);
    assert.equal(copyProgressStatus(progress({ copied: 0 }), START + 5_000).eta_s, null);
  });

  test('once done: the rate over the whole copy (not decaying afterwards) and ETA 0', () => {
    const done = progress({ copied: 100_000, done: true, endedAt: START + 4_000 });
    assert.deepEqual(copyProgressStatus(done, START + 60_000), copyProgressStatus(done, START + 4_000));
    assert.equal(copyProgressStatus(done, START + 60_000).records_per_s, 25_000);
    assert.equal(copyProgressStatus(done, START + 60_000).eta_s, 0);
  });
});

describe('the app shows copy progress with its rate', () => {
  test('copied / total, rate, time left and where it resumed', () => {
    assert.equal(copyProgressText({ copied: 60_000, total: 100_000, done: false, records_per_s: 10_000, eta_s: 4, resumed_from: 50_000 }), '60,000 / 100,000 · 10,000 records/s · 4s left · resumed at 50,000');
  });

  test('a node that reports no rate (an older version): the counts alone', () => {
    assert.equal(copyProgressText({ copied: 25, total: 100, done: false }), '25 / 100');
    assert.equal(copyProgressText({ copied: 25, total: 100, done: false, records_per_s: null, eta_s: null, resumed_from: 0 }), '25 / 100');
  });
});

describe('copy batch sizes', () => {
  test('a small copy still commits (and reports progress) in about COPY_MIN_COMMITS steps; a large one in batches of COPY_COMMIT_ITEMS', () => {
    assert.equal(commitItemsFor(10_000, COPY_COMMIT_ITEMS), Math.max(COPY_MIN_COMMIT_ITEMS, 10_000 / COPY_MIN_COMMITS));
    assert.equal(commitItemsFor(100, COPY_COMMIT_ITEMS), COPY_MIN_COMMIT_ITEMS);
    assert.equal(commitItemsFor(1_000_000, COPY_COMMIT_ITEMS), COPY_COMMIT_ITEMS);
    assert.equal(commitItemsFor(1_000_000, 300), 300, 'the test override caps it');
  });
});
