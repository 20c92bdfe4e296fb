/**
 * The subscribing side of a link: applies the peer's transaction frames in order, acks each only
 * after commit, and keeps the position in the peer's log (persisted with the data it came with,
 * or lazily when it moved without data). Positions never move backwards (asserted).
 */
import { localClockMs, type HybridLogicalClock } from '../clock/hlc.ts';
import type { Database } from '../storage/database.ts';
import type { LogEntry } from '../storage/types.ts';
import { applyEntries, positionKey } from './apply.ts';
import { LagHistogram } from './lag-histogram.ts';
import { assertInvariant, OPEN_STATES, type LinkStateMachine } from './link-state.ts';
import { IDLE_POSITION_INTERVAL_MS } from './publish.ts';
import { ProtocolError, type Message } from './protocol.ts';

export interface SubscribePort {
  readonly peer: string;
  readonly database: Database;
  readonly clock: HybridLogicalClock;
  readonly machine: LinkStateMachine;
  /** this node applies writes of `table` from the peer */
  subscribes(table: string): boolean;
  send(message: Message): void;
  /** the position in the peer's log just became known (its first frame or copy): relay.ts may count the peer as direct */
  positionEstablished(): void;
}

export class Subscriber {
  lastReceivedVersion = 0;
  lastReceivedLocalTime = 0;
  lastAppliedLag = 0;
  /** log entries received in txns frames (duplicates included: what relays cost) and in catch-ups */
  entriesReceived = 0;
  catchupEntriesReceived = 0;
  /** origin commit -> commit here, per transaction applied (cluster_status lag_p50_ms ...) */
  readonly lag = new LagHistogram();
  /** last sequence of the peer's log applied here (persisted at once with data, lazily without) */
  #appliedThrough: number | null = null;

  constructor(private readonly link: SubscribePort) {}

  /** The position a copy ended at (copy.ts persisted it). */
  copied(position: number): void {
    const before = this.#position();
    this.#advance(position);
    if (before === 0 && position > 0) this.link.positionEstablished();
  }

  async onTxns(entries: Array<[number, LogEntry]>, through: number): Promise<void> {
    this.entriesReceived += entries.length;
    const position = this.#position();
    if (through <= position) {
      this.link.send({ t: 'ack', seq: through });
      return;
    }
    let previous = 0;
    for (const [sequence] of entries) {
      if (sequence <= previous) throw new ProtocolError(`txns frame sequences do not ascend (${previous} then ${sequence})`);
      if (sequence > through) throw new ProtocolError(`txns frame entry ${sequence} is past its through ${through}`);
      previous = sequence;
    }
    const fresh = entries.filter(([sequence]) => sequence > position);
    let visibleAt = 0;
    const outcome = await applyEntries(this.link.database, this.link.clock, this.link.peer, fresh, through, {
      accepts: (table) => this.link.subscribes(table),
      committing: () => void this.link.database.nextVisible()?.then(() => (visibleAt ||= localClockMs())),
    });
    if (this.link.machine.isEnding && !outcome.committed) return;
    const before = position;
    this.#advance(through);
    if (outcome.committed) {
      if (before === 0) this.link.positionEstablished();
    } else if (before === 0) {
      // The first position in the peer's log is persisted at once, even without data (a relay
      // may have delivered these entries first): until it is, relay.ts keeps the peer out of
      // this node's direct set, and everything the peer writes keeps coming twice.
      await this.#persist();
      this.link.positionEstablished();
    } else this.#schedulePersist();
    const now = Date.now();
    const last = fresh[fresh.length - 1]?.[1];
    if (last) {
      this.lastReceivedVersion = last.v;
      this.lastReceivedLocalTime = now;
      this.lastAppliedLag = Math.max(0, now - last.v);
    }
    // Visible here at visibleAt (before the flush this waited for), or at the latest by now.
    const committedAt = localClockMs();
    if (outcome.committed) for (const [, entry] of fresh) this.lag.record(entry.v, visibleAt > 0 && visibleAt <= committedAt ? visibleAt : committedAt);
    this.link.send({ t: 'ack', seq: through });
  }

  /**
   * Entries a relay skipped earlier and sends now (relay.ts): applied by the conflict rule like
   * any others, behind the position, which they do not move (it is persisted as it stands).
   * Not acknowledged: one lost with the link is asked for again by the next hello.
   */
  async onCatchup(entries: Array<[number, LogEntry]>): Promise<void> {
    this.catchupEntriesReceived += entries.length;
    let previous = 0;
    for (const [sequence] of entries) {
      if (sequence <= previous) throw new ProtocolError(`catch-up frame sequences do not ascend (${previous} then ${sequence})`);
      previous = sequence;
    }
    const position = this.#position();
    await applyEntries(this.link.database, this.link.clock, this.link.peer, entries, position, { accepts: (table) => this.link.subscribes(table) });
  }

  #position(): number {
    return (this.#appliedThrough ??= this.link.database.getMeta<number>(positionKey(this.link.peer)) ?? 0);
  }

  #advance(through: number): void {
    const position = this.#position();
    assertInvariant(through >= position, `the position in '${this.link.peer}''s log moves forward (${position} -> ${through})`);
    this.#appliedThrough = through;
  }

  /**
   * Persist a position that advanced without data, a little later (see IDLE_POSITION_INTERVAL_MS),
   * or at once when the link leaves its open states (the timer's disposal persists).
   */
  #schedulePersist(): void {
    const { machine } = this.link;
    if (machine.holds('position-persist')) return;
    if (!machine.isOpen) {
      void this.#persist();
      return;
    }
    const timer = setTimeout(() => machine.release('position-persist'), IDLE_POSITION_INTERVAL_MS);
    timer.unref();
    machine.own(
      'position-persist',
      () => {
        clearTimeout(timer);
        void this.#persist();
      },
      OPEN_STATES,
    );
  }

  async #persist(): Promise<void> {
    const through = this.#appliedThrough;
    const { database } = this.link;
    if (through === null || database.closed) return;
    const stored = database.getMeta<number>(positionKey(this.link.peer)) ?? 0;
    if (through > stored) await database.setMeta([[positionKey(this.link.peer), through]]).catch(() => undefined);
  }
}
