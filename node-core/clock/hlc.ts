/**
 * Hybrid logical clock (SPEC 1.3): versions are wall-clock milliseconds that never go
 * backwards and always exceed every version this node has seen, local or received.
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

const TEST_CLOCK_OFFSET_MS = testClockOffsetMs();
const skewedNow = TEST_CLOCK_OFFSET_MS === 0 ? Date.now : () => Date.now() + TEST_CLOCK_OFFSET_MS;

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
