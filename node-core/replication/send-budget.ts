/**
 * The node-wide budget of large frames in flight: bytes of frames of LARGE_FRAME_BYTES or more
 * handed to sockets and not yet written out, across every link. A large frame costs its encoding,
 * a masked copy on links this node dialed and TLS output on wss, all alive until the socket has
 * written it; with several links each sending one at once the node would hold them all. A link
 * whose next large frame does not fit waits, blocked, and is granted its bytes (first come,
 * first served) when others' writes complete, so large frames go out one after another.
 *
 * A frame larger than the whole budget is granted when nothing else is in flight: no frame waits
 * forever. Every grant is released exactly once (ws send callbacks fire on error and close too;
 * a grant or a wait dropped by a closing link is released by its disposal).
 */
import { assertInvariant } from './link-state.ts';
import { DETACH_ENCODED_BYTES, MAX_FRAME_BYTES } from './protocol.ts';

/** Frames of at least this many bytes count against the budget (smaller ones never wait). */
export const LARGE_FRAME_BYTES = DETACH_ENCODED_BYTES;
/** Bytes of large frames in flight across all links at most (one frame alone may exceed it). */
export const SEND_BUDGET_BYTES = MAX_FRAME_BYTES;

assertInvariant(LARGE_FRAME_BYTES < SEND_BUDGET_BYTES, 'a large frame is smaller than the send budget');

/** A grant of bytes: released once, when its frame is written (or never sent). */
export interface SendGrant {
  readonly bytes: number;
  release(): void;
}

/** One link's wait for the budget. */
interface Waiter {
  bytes: number;
  /** 'blocked' while queued; 'granted' once handed its grant; 'cancelled' when its link gave up */
  state: 'blocked' | 'granted' | 'cancelled';
  onGrant(grant: SendGrant): void;
}

export class SendBudget {
  #inFlight = 0;
  readonly #waiters: Waiter[] = [];

  constructor(readonly capacityBytes: number = SEND_BUDGET_BYTES) {
    assertInvariant(capacityBytes > 0, 'a send budget has room');
  }

  /** Bytes of large frames in flight now. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** Links waiting now. */
  get blocked(): number {
    return this.#waiters.length;
  }

  /**
   * A grant of `bytes` now, or null: then `onGrant` runs with it once the budget has room, unless
   * the returned wait is cancelled first (`cancel` in the result).
   */
  request(bytes: number, onGrant: (grant: SendGrant) => void): { grant: SendGrant } | { grant: null; cancel: () => void } {
    assertInvariant(bytes >= 0, 'a grant of no negative size');
    if (this.#waiters.length === 0 && this.#fits(bytes)) return { grant: this.#grant(bytes) };
    const waiter: Waiter = { bytes, state: 'blocked', onGrant };
    this.#waiters.push(waiter);
    return {
      grant: null,
      cancel: () => {
        if (waiter.state !== 'blocked') return;
        waiter.state = 'cancelled';
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        // The head may have been what held the others back.
        this.#wakeWaiters();
      },
    };
  }

  #fits(bytes: number): boolean {
    return this.#inFlight === 0 || this.#inFlight + bytes <= this.capacityBytes;
  }

  #grant(bytes: number): SendGrant {
    this.#inFlight += bytes;
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= bytes;
        assertInvariant(this.#inFlight >= 0, 'send budget in flight never negative');
        this.#wakeWaiters();
      },
    };
  }

  /** Grant waiters in order while the head fits (first come, first served: no overtaking). */
  #wakeWaiters(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.bytes)) {
      const waiter = this.#waiters.shift()!;
      waiter.state = 'granted';
      const grant = this.#grant(waiter.bytes);
      try {
        waiter.onGrant(grant);
      } catch {
        // A waiter that cannot take its grant (a bug) must not hold the budget for good; this
        // runs inside socket callbacks, where nothing may be thrown.
        grant.release();
      }
    }
  }
}

/**
 * The masking key of frames this node sends on links it dialed over TLS: zero. Masking (RFC 6455
 * 10.3) keeps script-chosen bytes from looking like requests to proxies that read the stream;
 * inside TLS nothing between the nodes reads it. With a zero key ws sends the frame's own bytes
 * instead of a masked copy of each (a 37 MB transaction would otherwise be copied per link).
 * Plain ws links keep random masks.
 */
export function maskInsideTls(mask: Buffer): void {
  mask.fill(0);
}
