/**
 * Relay only where needed (SPEC 4.8 without the N² cost). A node relays the entries it received
 * to peers that cannot get them directly; in a full mesh every receiver would otherwise get each
 * transaction from its origin and again from every other receiver.
 *
 * The subscribing side (DirectLinks, one per node) tells each peer its *direct set*: the origins
 * it has a live, unheld link with full subscriptions to, for that database (in its hello, then
 * in a 'direct' message whenever the set changes). The publishing side (RelayView, one per link)
 * skips entries of those origins — except merged ones (LogEntry.m), which no origin streams.
 *
 * Durability: whoever drops an origin O from its direct set sends `since` = its position in O's
 * log. Origins' own entries are logged under version = sequence, so every entry of O with a
 * version up to that position reached it. The relay then catches up what it skipped: entries of
 * O with a version above `since` at or behind its sent position, found through the log's origin
 * index (storage/origin-index.ts); those past the sent position go with the live stream. A hello
 * carries `since` for every origin not in its set, so entries skipped on an earlier link are
 * caught up too. Catch-ups are not acknowledged: a lost one is asked for again by the next hello.
 */
import type { Database } from '../storage/database.ts';
import type { LogEntry } from '../storage/types.ts';
import { positionKey } from './apply.ts';
import { subscriptionsBySetter, type NodeRecord, type Subscription } from './membership.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';
import type { DirectMessage, RelayAdvert } from './protocol.ts';

/** The hello feature of nodes that understand 'direct' messages and catch-up frames. */
export const RELAY_FEATURE = 'relay';
/**
 * Entries one catch-up may name at most. Past it (an outage longer than a catch-up should
 * carry) the relay sends the peer a copy to merge instead, as for a peer behind the purged log.
 */
export const MAX_CATCHUP_ENTRIES = 100_000;

// ---------------------------------------------------------------------------------------------
// The subscribing side: which origins this node streams directly, told to every peer.

/** What DirectLinks needs of a link. */
export interface DirectLink {
  readonly peer: string;
  readonly database: Database;
  /** streams from the peer now: open, past the hello exchange, not held at a horizon */
  readonly streamsFromPeer: boolean;
  /** the peer's hello said it understands RELAY_FEATURE */
  peerHas(feature: string): boolean;
  /** the advert this node last gave the peer on this link (its hello's), null before the hello */
  advertised: ReadonlySet<string> | null;
  sendDirect(message: DirectMessage): void;
}

export interface DirectHost {
  links(): readonly DirectLink[];
  /** the link with `peer` for `database` carries everything both ways (no explicit subscriptions) */
  fullPolicy(peer: string, database: string): boolean;
  /** every other node this node may have streamed from (hdb_nodes) */
  origins(): Iterable<string>;
}

export class DirectLinks {
  constructor(private readonly host: DirectHost) {}

  /** The origins this node streams from directly for `database`, minus `except` (the link's own peer). */
  directSet(database: string, except: string): Set<string> {
    const direct = new Set<string>();
    for (const link of this.host.links()) {
      if (link.database.name !== database || link.peer === except || !link.streamsFromPeer) continue;
      // Only once this node has a persisted position in the peer's log: dropping an origin from
      // the set sends that position as `since`, and a hello leaves out origins without one, so an
      // origin counted direct before it delivered anything could leave skipped entries behind.
      if (this.host.fullPolicy(link.peer, database) && positionOf(link.database, link.peer) > 0) direct.add(link.peer);
    }
    return direct;
  }

  /**
   * The advert for a hello to `peer`: the direct set, and `since` for every other origin this
   * node has a position with (it may have been direct on an earlier link: entries skipped then
   * are caught up). An origin it never streamed anything from (position 0) is streamed from the
   * start of that origin's log when its link comes up.
   */
  helloAdvert(database: Database, peer: string): { advert: RelayAdvert; direct: Set<string> } {
    const direct = this.directSet(database.name, peer);
    const since: Array<[string, number]> = [];
    for (const origin of this.host.origins()) {
      if (origin === peer || direct.has(origin)) continue;
      const position = positionOf(database, origin);
      if (position > 0) since.push([origin, position]);
    }
    return { advert: { direct: [...direct].sort(), since }, direct };
  }

  /** Links of `database` (or of every database) opened, closed or changed policy: tell the peers. */
  changed(database?: string): void {
    for (const link of this.host.links()) {
      if (database !== undefined && link.database.name !== database) continue;
      this.sync(link);
    }
  }

  /** Tell `link`'s peer the current set if it differs from what it was last told. */
  sync(link: DirectLink): void {
    if (link.advertised === null || !link.peerHas(RELAY_FEATURE)) return;
    const now = this.directSet(link.database.name, link.peer);
    const before = link.advertised;
    if (now.size === before.size && [...now].every((origin) => before.has(origin))) return;
    const since: Array<[string, number]> = [...before].filter((origin) => !now.has(origin)).map((origin) => [origin, positionOf(link.database, origin)]);
    link.advertised = now;
    link.sendDirect({ t: 'direct', direct: [...now].sort(), since });
  }
}

/** This node's position in `origin`'s log (persisted: at most what was applied, never more). */
function positionOf(database: Database, origin: string): number {
  return database.getMeta<number>(positionKey(origin)) ?? 0;
}

/**
 * Whether the link between this node and `peer` carries everything of `database` both ways:
 * neither side set explicit subscriptions for it (membership.ts `policy`, read the same way).
 */
export function fullSubscriptions(nodeName: string, node: (name: string) => NodeRecord | undefined, peer: string, database: string): boolean {
  const explicit = (rows: Subscription[] | undefined) => rows !== undefined && (database !== SYSTEM_DATABASE || rows.some((s) => s.database === database));
  return !explicit(subscriptionsBySetter(node(peer))[nodeName]) && !explicit(subscriptionsBySetter(node(nodeName))[peer]);
}

// ---------------------------------------------------------------------------------------------
// The publishing side: what the peer gets directly, and what it must be caught up on.

export class RelayView {
  #direct = new Set<string>();
  /** catch-ups asked for before the publisher knew its sent position: [origin, since] */
  #beforeStart: Array<[string, number]> = [];
  /** log sequences to send as catch-up, ascending, none twice */
  #queue: number[] = [];
  #tooMany = false;

  constructor(
    /** this node: its own entries always go (a peer naming it is ignored) */
    private readonly self: string,
    private readonly peer: () => string,
    private readonly database: Database,
  ) {}

  /** Origins the peer gets directly (for cluster_status and tests). */
  get direct(): string[] {
    return [...this.#direct].sort();
  }

  /** Skip `entry` for the peer: its origin streams it to the peer itself. */
  skips(entry: LogEntry): boolean {
    return entry.m !== true && this.#direct.has(entry.o);
  }

  /** The peer's hello: its set, and catch-ups of the other origins once the sent position is known. */
  hello(advert: RelayAdvert | undefined): void {
    if (!advert) return;
    this.#direct = this.#origins(advert.direct);
    for (const [origin, since] of advert.since) if (!this.#direct.has(origin) && this.#usable(origin)) this.#beforeStart.push([origin, since]);
  }

  /** The publisher's first sent position: the hello's catch-ups are of entries through it. */
  started(sentThrough: number): void {
    for (const [origin, since] of this.#beforeStart.splice(0)) this.#catchUp(origin, since, sentThrough);
  }

  /**
   * The peer's set changed. Entries through `sentThrough` (null: not started) were filtered by
   * the old set: those of origins it dropped, past their `since`, are caught up.
   */
  update(message: DirectMessage, sentThrough: number | null): void {
    const next = this.#origins(message.direct);
    const since = new Map(message.since);
    for (const origin of this.#direct) {
      if (next.has(origin)) continue;
      // No watermark given: everything of the origin is caught up (costly, never wrong).
      const after = since.get(origin) ?? 0;
      if (sentThrough === null) this.#beforeStart.push([origin, after]);
      else this.#catchUp(origin, after, sentThrough);
    }
    this.#direct = next;
  }

  /** A catch-up too large to send entry by entry is pending: the peer should get a copy. */
  takeTooMany(): boolean {
    const tooMany = this.#tooMany;
    this.#tooMany = false;
    if (tooMany) this.#queue = [];
    return tooMany;
  }

  get pendingCatchup(): number {
    return this.#queue.length;
  }

  /** The next catch-up sequences, ascending, removed from the queue once taken. */
  takeCatchup(count: number): number[] {
    return this.#queue.splice(0, count);
  }

  /** Put back sequences taken but not sent (the frame was full). */
  putBack(sequences: readonly number[]): void {
    this.#queue.unshift(...sequences);
  }

  /** A copy was sent: it carries every record, so nothing skipped before it is missing. */
  copied(): void {
    this.#queue = [];
    this.#beforeStart = [];
    this.#tooMany = false;
  }

  #catchUp(origin: string, since: number, through: number): void {
    const found: number[] = [];
    for (const { sequence } of this.database.logByOrigin(origin, since, Infinity)) {
      if (sequence > through) continue;
      found.push(sequence);
      if (found.length + this.#queue.length > MAX_CATCHUP_ENTRIES) {
        this.#tooMany = true;
        return;
      }
    }
    if (found.length === 0) return;
    const merged = new Set([...this.#queue, ...found]);
    this.#queue = [...merged].sort((a, b) => a - b);
  }

  #usable(origin: string): boolean {
    return origin !== this.self && origin !== this.peer();
  }

  #origins(names: readonly string[]): Set<string> {
    return new Set(names.filter((origin) => this.#usable(origin)));
  }
}
