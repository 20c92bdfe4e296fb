/**
 * Liveness of an open link: a link from whose peer nothing has arrived for PONG_TIMEOUT_MS is
 * dead whatever TCP thinks (a frozen or partitioned peer keeps the socket open). We ping every
 * PING_INTERVAL_MS so that an idle peer has something to answer, but a pong is only one kind
 * of evidence: on a slow, busy link a ping waits behind every byte queued ahead of it (in our
 * socket, the kernels and the network between), so its pong can legitimately come later than
 * any fixed timeout while the peer is demonstrably alive. So any byte the peer sent — a pong,
 * its own ping, a frame or part of one — counts as life. A frozen peer sends nothing: it is
 * declared dead PONG_TIMEOUT_MS after the last of its bytes still in flight arrives.
 * The timer and listeners are resources of the link's live states: closing stops them.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { terminateSocket } from './close-reason.ts';
import { LinkState, type LinkStateMachine, type LinkStateName } from './link-state.ts';

/** Pinged states: from the first hello on (a peer may be silent while waiting its copy turn, not dead). */
const LIVE_STATES: LinkStateName[] = [LinkState.awaitingCopy, LinkState.hello, LinkState.copyingOut, LinkState.streaming];

export const PING_INTERVAL_MS = 2_000;
/** A link from whose peer no byte (pong, ping or data) arrived for this long is dead. */
export const PONG_TIMEOUT_MS = 10_000;
/**
 * A link that hears from its peer anyway still pings this often, so both ends keep measuring
 * latency (cluster_status `latency`).
 */
export const LATENCY_PING_INTERVAL_MS = 5 * PING_INTERVAL_MS;

if (!(PING_INTERVAL_MS < PONG_TIMEOUT_MS && PING_INTERVAL_MS <= LATENCY_PING_INTERVAL_MS)) {
  throw new Error('liveness: a link must be pinged more often than it is declared dead, and latency pings are no more frequent than pings');
}

/**
 * Whether a tick sends a ping. Only a link that heard nothing for a whole interval needs to
 * prompt its peer: one that heard a byte since (the peer's own ping, a pong, data) knows the
 * peer is alive, and the peer, which pings when it hears nothing, keeps hearing our pongs. In a
 * quiet mesh that halves the control frames each end writes and reads (pings were nearly all
 * of an idle node's CPU). Either end still pings at least every LATENCY_PING_INTERVAL_MS.
 */
export function pingDue(silentForMs: number, sinceOwnPingMs: number): boolean {
  return silentForMs >= PING_INTERVAL_MS || sinceOwnPingMs >= LATENCY_PING_INTERVAL_MS;
}

/**
 * The TCP (or TLS) socket under a WebSocket, to see bytes arrive before a whole frame has (a
 * frame can take longer than PONG_TIMEOUT_MS on a slow link). ws keeps it as `_socket` (it has
 * since ws 1); without it, whole frames, pings and pongs still count as life.
 */
function underlyingSocket(socket: WebSocket): Duplex | null {
  const raw = (socket as unknown as { _socket?: unknown })._socket;
  return raw !== null && typeof raw === 'object' && typeof (raw as Duplex).on === 'function' ? (raw as Duplex) : null;
}

export class Liveness {
  latencyMs: number | null = null;
  #pingSentAt = 0;
  /** when a byte from the peer last arrived */
  #lastHeardAt = Date.now();

  constructor(
    private readonly socket: WebSocket,
    private readonly machine: LinkStateMachine,
    /** called with the reason just before the socket is dropped for silence */
    private readonly onSilent: (reason: string) => void,
  ) {
    socket.on('pong', () => this.pong());
    // ws answers pings itself; hearing one is life all the same (the peer's own pings travel the
    // other direction, often the idle one, while ours wait behind the data we send).
    socket.on('ping', () => this.heard());
    socket.on('message', () => this.heard());
  }

  /** A pong arrived. */
  pong(): void {
    this.heard();
    if (this.#pingSentAt > 0) this.latencyMs = this.#lastHeardAt - this.#pingSentAt;
  }

  /** Bytes from the peer arrived. */
  heard(): void {
    this.#lastHeardAt = Date.now();
  }

  /** Start pinging; the timer and the byte listener live until the link closes. */
  start(): void {
    this.heard();
    const timer = setInterval(() => this.#tick(), PING_INTERVAL_MS);
    timer.unref();
    this.machine.own('ping-timer', () => clearInterval(timer), LIVE_STATES);
    const raw = underlyingSocket(this.socket);
    if (raw) {
      const onData = () => this.heard();
      raw.on('data', onData);
      this.machine.own('byte-listener', () => raw.off('data', onData), LIVE_STATES);
    }
  }

  /** ms since a byte from the peer last arrived */
  get silentForMs(): number {
    return Date.now() - this.#lastHeardAt;
  }

  #tick(): void {
    if (this.silentForMs > PONG_TIMEOUT_MS) {
      this.onSilent(`nothing from the peer for ${PONG_TIMEOUT_MS} ms`);
      terminateSocket(this.socket);
      return;
    }
    const now = Date.now();
    if (!pingDue(this.silentForMs, now - this.#pingSentAt)) return;
    this.#pingSentAt = now;
    try {
      this.socket.ping();
    } catch {
      // the socket is closing: its close event ends the link
    }
  }
}
