/**
 * The per-link lag window (lag-histogram.ts): percentiles of what it holds, bounded in samples and
 * in time, negative lags (clock skew) reported as 0 and counted. Times are given, not waited for.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LAG_WINDOW_MS, LAG_WINDOW_SAMPLES, LagHistogram } from '../../node-core/replication/lag-histogram.ts';

const T0 = 1_800_000_000_000;

describe('lag histogram', () => {
  test('an empty window reports no percentiles, not zeros', () => {
    assert.deepEqual(new LagHistogram().summary(T0), { lag_p50_ms: null, lag_p99_ms: null, lag_max_ms: null, lag_samples: 0, lag_window_ms: LAG_WINDOW_MS, lag_clamped: 0 });
  });

  test('p50, p99 and max of the lags recorded', () => {
    const lags = new LagHistogram();
    // 1..100 ms, shuffled: the summary sorts.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const lag of values) lags.record(T0, T0 + lag);
    const summary = lags.summary(T0 + 200);
    assert.equal(summary.lag_samples, 100);
    assert.equal(summary.lag_p50_ms, 51);
    assert.equal(summary.lag_p99_ms, 100);
    assert.equal(summary.lag_max_ms, 100);
    assert.equal(summary.lag_clamped, 0);
  });

  test('sub-millisecond lags keep their microseconds', () => {
    const lags = new LagHistogram();
    lags.record(T0, T0 + 0.25);
    assert.equal(lags.summary(T0 + 1).lag_p50_ms, 0.25);
  });

  test('a negative lag (this clock behind the origin) is reported as 0 and counted', () => {
    const lags = new LagHistogram();
    lags.record(T0, T0 - 5_000);
    lags.record(T0, T0 - 0.5);
    lags.record(T0, T0 + 2);
    const summary = lags.summary(T0 + 10);
    assert.equal(summary.lag_clamped, 2);
    assert.equal(summary.lag_p50_ms, 0);
    assert.equal(summary.lag_max_ms, 2);
    for (const value of [summary.lag_p50_ms, summary.lag_p99_ms, summary.lag_max_ms]) assert.ok(value !== null && value >= 0);
  });

  test(`at most LAG_WINDOW_SAMPLES (${LAG_WINDOW_SAMPLES}) samples: the oldest go first`, () => {
    const lags = new LagHistogram();
    // Old ones lag 1000 ms, the last LAG_WINDOW_SAMPLES lag 1 ms: only those remain.
    for (let i = 0; i < 500; i++) lags.record(T0, T0 + 1_000);
    for (let i = 0; i < LAG_WINDOW_SAMPLES; i++) lags.record(T0 + 1_000, T0 + 1_001);
    const summary = lags.summary(T0 + 1_002);
    assert.equal(summary.lag_samples, LAG_WINDOW_SAMPLES);
    assert.equal(summary.lag_max_ms, 1);
  });

  test(`samples older than LAG_WINDOW_MS (${LAG_WINDOW_MS} ms) leave the window`, () => {
    const lags = new LagHistogram();
    lags.record(T0, T0 + 40);
    lags.record(T0 + LAG_WINDOW_MS, T0 + LAG_WINDOW_MS + 3);
    assert.equal(lags.summary(T0 + 40 + LAG_WINDOW_MS).lag_samples, 2);
    const later = lags.summary(T0 + 41 + LAG_WINDOW_MS);
    assert.equal(later.lag_samples, 1);
    assert.equal(later.lag_max_ms, 3);
    assert.equal(lags.summary(T0 + 10 * LAG_WINDOW_MS).lag_p50_ms, null);
  });

  test('non-finite times are ignored, never reported', () => {
    const lags = new LagHistogram();
    lags.record(Number.NaN, T0);
    lags.record(T0, Number.POSITIVE_INFINITY);
    assert.equal(lags.summary(T0).lag_samples, 0);
  });
});
