/**
 * Replication lag of one link, as cluster_status reports it: for each transaction applied from
 * the peer, the time from its commit on the origin (its version: the origin's hybrid-clock time,
 * ms) to its commit here (visible to readers here), read on this node's clock. Kept over a
 * bounded window (the last LAG_WINDOW_MS, at most LAG_WINDOW_SAMPLES transactions) and reported
 * as percentiles.
 *
 * Origin and here are different clocks (different hosts): a skew makes lags look longer or
 * shorter, and a lag that comes out negative (this clock behind the origin's) is reported as 0
 * and counted (`lag_clamped`), never shown as negative. Relayed transactions keep their origin's
 * version, so their lag includes the hops before the peer.
 */

/** Samples older than this leave the window (ms). */
export const LAG_WINDOW_MS = 60_000;
/** At most this many samples are kept per link (the oldest go first); bounds memory and the sort. */
export const LAG_WINDOW_SAMPLES = 2_048;
/** Percentiles are reported to this many decimals of a ms (µs: finer than a loopback hop). */
export const LAG_DECIMALS = 3;

if (LAG_WINDOW_SAMPLES < 100) throw new Error('LAG_WINDOW_SAMPLES must hold enough samples for a p99');

export interface LagSummary {
  /** median lag in the window (ms), null with no sample */
  lag_p50_ms: number | null;
  lag_p99_ms: number | null;
  lag_max_ms: number | null;
  /** transactions in the window */
  lag_samples: number;
  /** how far back the window reaches (ms); it also holds at most LAG_WINDOW_SAMPLES transactions */
  lag_window_ms: number;
  /** samples in the window whose lag came out negative (clock skew) and were reported as 0 */
  lag_clamped: number;
}

export class LagHistogram {
  /** ring buffers: lag (ms, clamped at 0), when it was recorded (local ms), whether it was clamped */
  readonly #lags = new Float64Array(LAG_WINDOW_SAMPLES);
  readonly #at = new Float64Array(LAG_WINDOW_SAMPLES);
  readonly #clamped = new Uint8Array(LAG_WINDOW_SAMPLES);
  /** next slot to write */
  #next = 0;
  #size = 0;

  /** One transaction of version `originMs` committed here at `localMs` (both ms since the epoch). */
  record(originMs: number, localMs: number): void {
    if (!Number.isFinite(originMs) || !Number.isFinite(localMs)) return;
    const lag = localMs - originMs;
    this.#lags[this.#next] = lag > 0 ? lag : 0;
    this.#clamped[this.#next] = lag < 0 ? 1 : 0;
    this.#at[this.#next] = localMs;
    this.#next = (this.#next + 1) % LAG_WINDOW_SAMPLES;
    if (this.#size < LAG_WINDOW_SAMPLES) this.#size++;
  }

  summary(nowMs: number): LagSummary {
    const inWindow: number[] = [];
    let clamped = 0;
    for (let i = 0; i < this.#size; i++) {
      if (nowMs - this.#at[i]! > LAG_WINDOW_MS) continue;
      inWindow.push(this.#lags[i]!);
      clamped += this.#clamped[i]!;
    }
    inWindow.sort((a, b) => a - b);
    const at = (p: number): number | null => (inWindow.length === 0 ? null : step(inWindow[Math.min(inWindow.length - 1, Math.floor(p * inWindow.length))]!));
    return {
      lag_p50_ms: at(0.5),
      lag_p99_ms: at(0.99),
      lag_max_ms: inWindow.length === 0 ? null : step(inWindow[inWindow.length - 1]!),
      lag_samples: inWindow.length,
      lag_window_ms: LAG_WINDOW_MS,
      lag_clamped: clamped,
    };
  }
}

function step(ms: number): number {
  return Number(ms.toFixed(LAG_DECIMALS));
}
