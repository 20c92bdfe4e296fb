/**
 * Hybrid logical clock (SPEC 1.3): versions are wall-clock milliseconds that never go
 * backwards and always exceed every version this node has seen, local or received.
 */

/** Smallest step between two versions: 2^-10 ms keeps 53-bit doubles exact for epoch ms. */
export const VERSION_EPSILON = 1 / 1024;

export class HybridLogicalClock {
  #last = 0;

  constructor(private readonly wallClockMs: () => number = Date.now) {}

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
