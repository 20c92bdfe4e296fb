/**
 * Hybrid logical clock (SPEC 1.3): versions are wall-clock milliseconds (with a fraction: see
 * preciseWallClockMs) that never go backwards and always exceed every version this node has
 * seen, local or received.
 */

/** Smallest step between two versions: 2^-10 ms keeps 53-bit doubles exact for epoch ms. */
export const VERSION_EPSILON = 1 / 1024;

/**
 * Test-only skew: PEERDESK_TEST_CLOCK_OFFSET_MS shifts this node's wall clock (read once, at
 * start), so fault tests can run nodes whose clocks disagree by minutes. Bounded so a typo
 * cannot move a node's versions by years.
 */
export const TEST_CLOCK_OFFSET_ENV = 'PEERDESK_TEST_CLOCK_OFFSET_MS';
export const MAX_TEST_CLOCK_OFFSET_MS = 24 * 60 * 60 * 1000;

export function testClockOffsetMs(env: Record<string, string | undefined> = process.env): number {
  const text = env[TEST_CLOCK_OFFSET_ENV];
  if (text === undefined || text === '') return 0;
  const offset = Number(text);
  if (!Number.isInteger(offset) || Math.abs(offset) > MAX_TEST_CLOCK_OFFSET_MS) {
    throw new Error(`${TEST_CLOCK_OFFSET_ENV}=${JSON.stringify(text)}: expected an integer number of ms within ±${MAX_TEST_CLOCK_OFFSET_MS}`);
  }
  return offset;
}

/**
 * How far the sub-millisecond clock may stray from Date.now() before it is anchored again (ms).
 * The monotonic clock drifts from the wall clock by some ppm (and NTP steps the wall clock), so
 * this is crossed every few minutes at most; anchoring costs up to 1 ms of spinning.
 */
export const PRECISE_CLOCK_MAX_DRIFT_MS = 0.25;
/** Anchors taken per anchoring: a preemption mid-anchor only lowers one, and the highest wins. */
const ANCHOR_ATTEMPTS = 3;
let preciseOffset = anchorOffset();

/**
 * performance.now() + this = the wall clock, to a few µs: taken at ticks of Date.now() (whose
 * value is whole ms; performance.timeOrigin is off by ms). Spins until each next tick (≤ 1 ms).
 */
function anchorOffset(): number {
  let best = -Infinity;
  for (let attempt = 0; attempt < ANCHOR_ATTEMPTS; attempt++) {
    const start = Date.now();
    let tick = start;
    while (tick === start) tick = Date.now();
    // Being descheduled between the two reads makes the offset smaller, never larger.
    best = Math.max(best, tick - performance.now());
  }
  return best;
}

/**
 * Wall-clock ms since the epoch with sub-millisecond resolution (in steps of VERSION_EPSILON):
 * Date.now() gives the time, performance.now() the fraction between its ticks. Versions and
 * replication lag (commit on the origin to commit here: well under a ms on a LAN) need it, and
 * nodes on one host must agree on it to the µs: whole-ms versions would add up to 1 ms to every
 * lag. The clock is checked against Date.now() on each read and anchored again past the drift.
 */
export function preciseWallClockMs(): number {
  let precise = preciseOffset + performance.now();
  // In step, precise - Date.now() is in [0, 1) (Date.now() truncates). A pause between the two
  // reads can only make it look behind, so behind is confirmed with the reads the other way round.
  const ahead = precise - Date.now();
  const drifted = ahead >= 1 + PRECISE_CLOCK_MAX_DRIFT_MS || (ahead < -PRECISE_CLOCK_MAX_DRIFT_MS && -Date.now() + performance.now() + preciseOffset < -PRECISE_CLOCK_MAX_DRIFT_MS);
  if (drifted) {
    preciseOffset = anchorOffset();
    precise = preciseOffset + performance.now();
  }
  return Math.floor(precise / VERSION_EPSILON) * VERSION_EPSILON;
}

const TEST_CLOCK_OFFSET_MS = testClockOffsetMs();
const skewedNow = TEST_CLOCK_OFFSET_MS === 0 ? preciseWallClockMs : () => preciseWallClockMs() + TEST_CLOCK_OFFSET_MS;

/** This node's wall clock as its versions read it (ms, sub-ms, with the test skew): for lags against peers' versions. */
export const localClockMs: () => number = skewedNow;

export class HybridLogicalClock {
  #last = 0;

  constructor(private readonly wallClockMs: () => number = skewedNow) {}

  /** A fresh version, strictly greater than any returned or observed before. */
  next(): number {
    const wall = this.wallClockMs();
    this.#last = wall > this.#last ? wall : this.#last + VERSION_EPSILON;
    return this.#last;
  }

  /** Record a version seen elsewhere (a peer's write, a stored log entry). */
  observe(version: number): void {
    if (Number.isFinite(version) && version > this.#last) this.#last = version;
  }

  /** The last version handed out or observed (0 before any). */
  get last(): number {
    return this.#last;
  }
}
