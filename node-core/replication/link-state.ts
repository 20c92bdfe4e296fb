/**
 * The replication link's lifecycle as an explicit state machine (as `ws` has readyState): one
 * state, one transition function that refuses illegal moves, `open` and `closed` events, and
 * resources (timers, listeners) owned by the states they live in and disposed on every exit.
 *
 *   connecting ─┬─> awaiting-copy ─> hello ─┬─> copying-out <─> streaming
 *               └─> hello ──────────────────┤        (resync)
 *   hello ─> awaiting-copy (inbound: the peer's hello came first) ─┘
 *   any ─> closing ─> closed, any ─> closed
 *
 * "connecting": an outbound socket not open yet. "awaiting-copy": another link is copying this
 * database in; this one waits before saying hello. "hello": hellos being exchanged and the peer
 * admitted. "copying-out": this node sends the peer a snapshot; "streaming": it streams its log.
 * A copy coming *in* runs beside either of the last two (copy.ts tracks it): the directions are
 * independent. "closing": this node decided to close — its resources go first, then the link is
 * closed (its listeners told) at once; the socket's close handshake finishes on its own
 * (close-reason.ts terminates it if the peer never answers).
 */
import { EventEmitter } from 'node:events';

export const LinkState = {
  connecting: 'connecting',
  awaitingCopy: 'awaiting-copy',
  hello: 'hello',
  copyingOut: 'copying-out',
  streaming: 'streaming',
  closing: 'closing',
  closed: 'closed',
} as const;
export type LinkStateName = (typeof LinkState)[keyof typeof LinkState];

/** States in which the link is established (cluster_status shows it connected). */
export const OPEN_STATES: ReadonlySet<LinkStateName> = new Set([LinkState.copyingOut, LinkState.streaming]);

const LEGAL: Readonly<Record<LinkStateName, readonly LinkStateName[]>> = {
  connecting: ['awaiting-copy', 'hello', 'closing', 'closed'],
  'awaiting-copy': ['hello', 'copying-out', 'streaming', 'closing', 'closed'],
  hello: ['awaiting-copy', 'copying-out', 'streaming', 'closing', 'closed'],
  'copying-out': ['streaming', 'closing', 'closed'],
  streaming: ['copying-out', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** A move the lifecycle does not allow: a bug in the link, never the peer's doing. */
export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly from: LinkStateName,
    readonly to: LinkStateName,
  ) {
    super(`illegal link transition ${from} -> ${to}`);
  }
}

/** An invariant the link relies on does not hold. */
export class LinkInvariantError extends Error {
  override name = 'LinkInvariantError';
}

export function assertInvariant(condition: boolean, what: string): asserts condition {
  if (!condition) throw new LinkInvariantError(`invariant broken: ${what}`);
}

interface Resource {
  dispose(): void;
  /** the states it may live in; leaving them disposes it */
  states: ReadonlySet<LinkStateName>;
}

export class LinkStateMachine {
  #state: LinkStateName;
  readonly #resources = new Map<string, Resource>();
  readonly #events = new EventEmitter();
  #opened = false;

  constructor(initial: LinkStateName) {
    this.#state = initial;
  }

  get state(): LinkStateName {
    return this.#state;
  }

  get isOpen(): boolean {
    return OPEN_STATES.has(this.#state);
  }

  /** closing or closed: nothing new may start */
  get isEnding(): boolean {
    return this.#state === LinkState.closing || this.#state === LinkState.closed;
  }

  /** Move to `to`, or throw IllegalTransitionError. Disposes resources that may not live there. */
  transition(to: LinkStateName): void {
    const from = this.#state;
    if (!LEGAL[from].includes(to)) throw new IllegalTransitionError(from, to);
    this.#state = to;
    for (const [name, resource] of this.#resources) {
      if (resource.states.has(to)) continue;
      this.#resources.delete(name);
      resource.dispose();
    }
    if (OPEN_STATES.has(to) && !this.#opened) {
      this.#opened = true;
      this.#events.emit('open');
    }
    if (to === LinkState.closed) {
      this.#events.emit('closed');
      this.#events.removeAllListeners();
    }
  }

  /**
   * Hold a resource while the link is in one of `states` (default: the current state only);
   * it is disposed on leaving them. A name held already is disposed and replaced.
   */
  own(name: string, dispose: () => void, states: Iterable<LinkStateName> = [this.#state]): void {
    const allowed = new Set(states);
    assertInvariant(allowed.has(this.#state), `resource '${name}' owned outside its states (${this.#state})`);
    this.release(name);
    this.#resources.set(name, { dispose, states: allowed });
  }

  /** Dispose one resource now (no-op when not held). */
  release(name: string): void {
    const resource = this.#resources.get(name);
    if (!resource) return;
    this.#resources.delete(name);
    resource.dispose();
  }

  holds(name: string): boolean {
    return this.#resources.has(name);
  }

  /** Names of the resources held (a closed link holds none). */
  resources(): string[] {
    return [...this.#resources.keys()];
  }

  /** `listener` runs when the link first becomes open (at once if it is open already). */
  onOpen(listener: () => void): void {
    if (this.#opened && !this.isEnding) listener();
    else if (this.#state !== LinkState.closed) this.#events.once('open', listener);
  }

  /** `listener` runs when the link closes (at once if it is closed already). */
  onClosed(listener: () => void): void {
    if (this.#state === LinkState.closed) listener();
    else this.#events.once('closed', listener);
  }
}
