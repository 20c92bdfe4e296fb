/**
 * Liveness of an open link: WebSocket ping every PING_INTERVAL_MS, and a link with no pong for
 * PONG_TIMEOUT_MS is dead whatever TCP thinks (a frozen or partitioned peer keeps the socket
 * open). The ping timer is a resource of the link's live states: closing stops it.
 */
import type { WebSocket } from 'ws';
import { terminateSocket } from './close-reason.ts';
import { LinkState, type LinkStateMachine, type LinkStateName } from './link-state.ts';

/** Pinged states: from the first hello on (a peer may be silent while waiting its copy turn, not dead). */
const LIVE_STATES: LinkStateName[] = [LinkState.awaitingCopy, LinkState.hello, LinkState.copyingOut, LinkState.streaming];

export const PING_INTERVAL_MS = 2_000;
/** A link with no pong for this long is dead, whatever TCP thinks. */
export const PONG_TIMEOUT_MS = 10_000;

export class Liveness {
  latencyMs: number | null = null;
  #pingSentAt = 0;
  #lastPongAt = Date.now();

  constructor(
    private readonly socket: WebSocket,
    private readonly machine: LinkStateMachine,
    /** called with the reason just before the socket is dropped for silence */
    private readonly onSilent: (reason: string) => void,
  ) {}

  /** A pong arrived (the socket's 'pong' event). */
  pong(): void {
    this.#lastPongAt = Date.now();
    if (this.#pingSentAt > 0) this.latencyMs = this.#lastPongAt - this.#pingSentAt;
  }

  /** Start pinging; the timer lives until the link closes. */
  start(): void {
    this.#lastPongAt = Date.now();
    const timer = setInterval(() => this.#tick(), PING_INTERVAL_MS);
    timer.unref();
    this.machine.own('ping-timer', () => clearInterval(timer), LIVE_STATES);
  }

  #tick(): void {
    if (Date.now() - this.#lastPongAt > PONG_TIMEOUT_MS) {
      this.onSilent(`no pong for ${PONG_TIMEOUT_MS} ms`);
      terminateSocket(this.socket);
      return;
    }
    this.#pingSentAt = Date.now();
    try {
      this.socket.ping();
    } catch {
      // the socket is closing: its close event ends the link
    }
  }
}
