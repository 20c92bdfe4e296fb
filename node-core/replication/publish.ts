/**
 * The publishing side of a link: streams this node's transaction log to the peer after the
 * position the peer gave (or after a copy), filtered for what the peer should get, in frames
 * capped in bytes (TARGET_FRAME_BYTES, never past MAX_FRAME_BYTES), bounded by an ack window and
 * the socket's send buffer. A transaction too large for any frame is not re-sent forever: the
 * peer gets a copy instead (the records, without that transaction's atomicity). Positions only
 * move forward, and a frame's sequences ascend (asserted).
 */
import { PURGED_THROUGH_KEY, type Database } from '../storage/database.ts';
import type { LogEntry, LoggedWrite } from '../storage/types.ts';
import { sendCopy, type CopyKind, type CopySender } from './copy.ts';
import { encodeItems, FRAME_ENVELOPE_BYTES, FrameAssembler, MAX_ITEM_BYTES, sharedLargeFrame } from './frames.ts';
import { assertInvariant, LinkState, OPEN_STATES, type LinkStateMachine } from './link-state.ts';
import { encodeBufferBytes } from '../storage/encode-size.ts';
import { DETACH_ENCODED_BYTES, encodeLargeValue, encodeValue, MAX_ENTRIES_PER_FRAME, MAX_FRAME_BYTES, TARGET_FRAME_BYTES, type DirectMessage, type Hello, type TxnsMessage } from './protocol.ts';
import { RelayView } from './relay.ts';
import { LARGE_FRAME_BYTES, type SendBudget, type SendGrant } from './send-budget.ts';
import { nextCatchupFrame } from './catchup.ts';

/** Frames sent but not yet acknowledged before the publisher waits. */
export const MAX_UNACKED_FRAMES = 16;
/** Socket send buffer above which the publisher waits for it to drain. */
export const SEND_HIGH_WATER_BYTES = 8 * 1024 * 1024;
/**
 * Positions that move without data (everything filtered or duplicate) are sent and persisted
 * at most this often: they only save re-sending duplicates after a reconnect.
 */
export const IDLE_POSITION_INTERVAL_MS = 1_000;
/** Log entries encoded in one encoder call (frames are still cut at the entry). */
export const ENCODE_CHUNK_ENTRIES = 32;

/** What publishing needs from its link, beyond what a copy needs. */
export interface PublishPort extends CopySender {
  readonly machine: LinkStateMachine;
  /** this node's name: its own entries always go to the peer */
  readonly nodeName: string;
  /** the node-wide budget of large frames in flight (send-budget.ts) */
  readonly budget: SendBudget;
  bufferedAmount(): number;
  /** send a frame; `written` runs once when the socket has written it (or dropped it) */
  sendFrameThen(frame: Buffer, written: () => void): void;
  fail(error: unknown): void;
}

/** What sending the next frame came to. */
type SendOutcome = 'sent' | 'nothing' | 'oversized' | 'blocked';

export class Publisher {
  #sentThrough = 0;
  #ackedThrough = 0;
  /** `through` of each frame sent and not yet acknowledged, ascending */
  readonly #inFlight: number[] = [];
  #started = false;
  #pumping = false;
  #pumpAgain = false;
  #copying = false;
  /** the next entry for the peer is larger than any frame: it goes as a copy */
  #oversized = false;
  /** #sentThrough is a position the peer has (not a start_time or nothing): a purge past it is a gap */
  #sentIsPosition = false;
  lastAckAt = 0;
  lastSentVersion = 0;
  /**
   * Entries encoded per encoder call: ENCODE_CHUNK_ENTRIES, or 1 after a chunk overflowed the
   * frame (large entries: a chunk of them is one huge encoding thrown away), until a frame holds
   * ENCODE_CHUNK_ENTRIES entries again.
   */
  #chunkEntries = ENCODE_CHUNK_ENTRIES;
  /** what the peer gets directly and must be caught up on (relay.ts) */
  readonly relay: RelayView;
  /** budget granted while blocked, for the large frame that waited for it */
  #grant: SendGrant | null = null;

  constructor(private readonly link: PublishPort) {
    this.relay = new RelayView(link.nodeName, () => link.peer, link.database);
  }

  get ackedThrough(): number {
    return this.#ackedThrough;
  }

  get started(): boolean {
    return this.#started;
  }

  /** After the hello exchange: copy first if the peer needs one, then stream. */
  async start(hello: Hello, onCommit: (listener: () => void) => () => void): Promise<void> {
    const { database, machine } = this.link;
    const purgedThrough = database.getMeta<number>(PURGED_THROUGH_KEY) ?? 0;
    const missedPurged = hello.position > 0 && hello.position < purgedThrough;
    this.relay.hello(hello.relay);
    this.#sentThrough = hello.position > 0 ? hello.position : (hello.startTime ?? 0);
    this.#sentIsPosition = hello.position > 0;
    if ((!hello.synced && hello.startTime === null) || missedPurged) {
      this.#sentThrough = 0;
      this.#sentIsPosition = false;
      machine.transition(LinkState.copyingOut);
      if (!(await this.#copy(missedPurged ? 'resync' : 'initial'))) return;
    }
    this.#ackedThrough = this.#sentThrough;
    this.relay.started(this.#sentThrough);
    if (machine.isEnding) return;
    if (machine.state !== LinkState.streaming) machine.transition(LinkState.streaming);
    this.#started = true;
    machine.own('commit-listener', onCommit(() => this.wake()), OPEN_STATES);
    await this.pump();
  }

  /** New local commits: stream them. */
  wake(): void {
    void this.pump().catch((error: unknown) => this.link.fail(error));
  }

  /** cluster_verify repair or the peer's resync-request: send a copy, then carry on streaming. */
  async resync(): Promise<void> {
    const { machine } = this.link;
    if (this.#copying || !this.#started || machine.state !== LinkState.streaming) return;
    machine.transition(LinkState.copyingOut);
    if (!(await this.#copy('resync'))) return;
    machine.transition(LinkState.streaming);
    await this.pump();
  }

  /** The peer's direct origins changed: skip the new ones, catch up on the dropped ones. */
  onDirect(message: DirectMessage): void {
    this.relay.update(message, this.#started ? this.#sentThrough : null);
    this.wake();
  }

  onAck(seq: number): void {
    // An ack for more than was sent is the peer's confusion; it cannot move the position past it.
    this.#ackedThrough = Math.max(this.#ackedThrough, Math.min(seq, this.#sentThrough));
    this.lastAckAt = Date.now();
    while (this.#inFlight.length > 0 && this.#inFlight[0]! <= seq) this.#inFlight.shift();
    this.wake();
  }

  /** Log entries this node still has to get confirmed by the peer. */
  pending(filter: (entry: LogEntry) => LogEntry | null): number {
    if (!this.#started || !this.link.machine.isOpen) return 0;
    let count = 0;
    for (const { entry } of this.link.database.readLog(this.#ackedThrough, 100_000)) if (!this.relay.skips(entry) && filter(entry)) count++;
    return count;
  }

  /** Send a copy; true when it completed and the link is still up. */
  async #copy(kind: CopyKind): Promise<boolean> {
    this.#copying = true;
    try {
      const sequence = await sendCopy(this.link, kind);
      if (sequence === null || this.link.machine.isEnding) return false;
      this.#advanceSent(Math.max(this.#sentThrough, sequence));
      this.#sentIsPosition = true;
      this.relay.copied();
      return true;
    } finally {
      this.#copying = false;
    }
  }

  #advanceSent(through: number): void {
    assertInvariant(through >= this.#sentThrough, `sent position moves forward (${this.#sentThrough} -> ${through})`);
    this.#sentThrough = through;
  }

  #streaming(): boolean {
    return this.link.machine.state === LinkState.streaming && !this.#copying;
  }

  async pump(): Promise<void> {
    if (!this.#started || !this.#streaming()) return;
    assertInvariant(this.link.machine.holds('commit-listener'), 'a streaming link listens for commits');
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        const behind = this.#purgedPastSent();
        if (this.relay.takeTooMany()) this.#oversized = true;
        if (behind || this.#oversized) {
          this.#oversized = false;
          // Behind the purged log (slow or stalled while linked) or next is a transaction no
          // frame can carry: what the peer has not been sent reaches it as a copy to merge.
          this.link.logger.warn(behind ? 'Peer is behind the purged log: resyncing it' : 'Transaction larger than a frame: sending the peer a copy instead', {
            peer: this.link.peer,
            database: this.link.database.name,
          });
          this.link.machine.transition(LinkState.copyingOut);
          if (!(await this.#copy('resync'))) return;
          this.link.machine.transition(LinkState.streaming);
        }
        while (this.#streaming() && this.#inFlight.length < MAX_UNACKED_FRAMES && this.link.bufferedAmount() < SEND_HIGH_WATER_BYTES) {
          if (this.#purgedPastSent()) {
            this.#pumpAgain = true;
            break;
          }
          const sent = this.relay.pendingCatchup > 0 ? this.#sendCatchup() : this.#sendNextFrame();
          if (sent === 'blocked') break;
          if (sent === 'oversized') {
            this.#oversized = true;
            this.#pumpAgain = true;
            break;
          }
          if (sent === 'nothing') break;
        }
      } while (this.#pumpAgain && this.#streaming());
    } finally {
      this.#pumping = false;
    }
  }

  #purgedPastSent(): boolean {
    return this.#sentIsPosition && (this.link.database.getMeta<number>(PURGED_THROUGH_KEY) ?? 0) > this.#sentThrough;
  }

  #filter(entry: LogEntry): LogEntry | null {
    if (this.relay.skips(entry)) return null;
    return filterForPeer(this.link.database, this.link.peer, entry, (table) => this.link.publishes(table));
  }

  /**
   * Read the log after what was sent, filter for the peer, send one frame: 'sent' (or only a
   * position moved), 'nothing' new, or 'oversized' when the next entry fits no frame alone.
   * Entries are encoded #chunkEntries at a time; a chunk that would cross the frame's budget is
   * encoded again entry by entry to find where the frame ends.
   */
  #sendNextFrame(): SendOutcome {
    const frame = new FrameAssembler();
    /** every entry through here is in the frame or filtered out */
    let through = this.#sentThrough;
    let lastVersion = this.lastSentVersion;
    /** filtered entries read but not yet in the frame; `before`: `through` had they all been left out */
    let chunk: Array<{ sequence: number; item: [number, LogEntry]; before: number }> = [];
    let examined = through;
    /** Add the chunk; returns the outcome when the frame ended inside it, else null. */
    const addChunk = (): SendOutcome | null => {
      if (chunk.length > 0) {
        const encoded = encodeItems(chunk.map((c) => c.item));
        if (frame.fits(encoded.length)) {
          frame.add(encoded, chunk.length);
          lastVersion = chunk[chunk.length - 1]!.item[1].v;
        } else {
          this.#chunkEntries = 1;
          for (const { sequence, item, before } of chunk) {
            const one = encodeValue(item);
            if (!frame.fits(one.length)) {
              // The frame ends before this entry; first and too large alone, pump sends a copy.
              if (frame.count === 0 && one.length > MAX_ITEM_BYTES && before === this.#sentThrough) return 'oversized';
              return this.#finishFrame(frame, before, lastVersion);
            }
            frame.add(one);
            lastVersion = item[1].v;
            through = sequence;
          }
        }
        chunk = [];
      }
      through = examined;
      return null;
    };
    for (const { sequence, entry } of this.link.database.readLog(this.#sentThrough, MAX_ENTRIES_PER_FRAME)) {
      assertInvariant(sequence > examined, `a frame's sequences ascend (${examined} then ${sequence})`);
      const filtered = this.#filter(entry);
      if (filtered && chunk.length === 0 && frame.count === 0) {
        const alone = this.#sendAlone(sequence, filtered, examined);
        if (alone) return alone;
      }
      if (filtered) chunk.push({ sequence, item: [sequence, filtered], before: examined });
      examined = sequence;
      if (chunk.length >= this.#chunkEntries) {
        const ended = addChunk();
        if (ended) return ended;
      }
    }
    const ended = addChunk();
    if (ended) return ended;
    if (through === this.#sentThrough) return 'nothing';
    return this.#finishFrame(frame, through, lastVersion);
  }

  /**
   * A large entry first in its frame (estimated past DETACH_ENCODED_BYTES, so no other entry joins
   * it) is encoded as the whole frame at once, into a buffer sized for it: no separate item
   * encoding copied into the frame. Null for an entry that is not large.
   */
  #sendAlone(sequence: number, entry: LogEntry, before: number): SendOutcome | null {
    const estimate = encodeBufferBytes(entry) + FRAME_ENVELOPE_BYTES;
    if (estimate < DETACH_ENCODED_BYTES) return null;
    // The budget is taken before encoding: a link that waits holds no encoding meanwhile.
    const grant = this.#takeGrant(estimate);
    if (!grant) {
      // Entries filtered out before it are passed first, so the position keeps moving.
      return before === this.#sentThrough ? 'blocked' : this.#finishFrame(new FrameAssembler(), before, this.lastSentVersion);
    }
    const message: TxnsMessage = { t: 'txns', entries: [[sequence, entry]], through: sequence };
    const bytes = sharedLargeFrame(sequence, entry, () => encodeLargeValue(message, estimate));
    if (bytes.length > MAX_FRAME_BYTES || bytes.length <= TARGET_FRAME_BYTES) grant.release();
    if (bytes.length > MAX_FRAME_BYTES) {
      // Too large alone: pump sends a copy (after moving past what was filtered out before it).
      if (before === this.#sentThrough) return 'oversized';
      return this.#finishFrame(new FrameAssembler(), before, this.lastSentVersion);
    }
    if (bytes.length <= TARGET_FRAME_BYTES) return null;
    this.#advanceSent(sequence);
    this.#sentIsPosition = true;
    this.lastSentVersion = entry.v;
    this.link.sendFrameThen(bytes, () => grant.release());
    this.#inFlight.push(sequence);
    return 'sent';
  }

  /**
   * Budget for a large frame of about `bytes`: the grant given while this link was blocked, or
   * one now; null when the budget is short (the link is blocked until a grant wakes it).
   */
  #takeGrant(bytes: number): SendGrant | null {
    if (bytes < LARGE_FRAME_BYTES) return { bytes: 0, release: () => undefined };
    const { machine } = this.link;
    if (this.#grant) {
      const grant = this.#grant;
      this.#grant = null;
      machine.release('send-grant');
      return grant;
    }
    if (machine.holds('send-budget-wait')) return null;
    const request = this.link.budget.request(bytes, (grant) => {
      if (!machine.holds('send-budget-wait') || !this.#streaming()) return grant.release();
      machine.release('send-budget-wait');
      this.#grant = grant;
      machine.own('send-grant', () => {
        this.#grant?.release();
        this.#grant = null;
      }, [LinkState.streaming]);
      // Granted inside another link's write callback: pump on a turn of its own.
      setImmediate(() => this.wake());
    });
    if (request.grant) return request.grant;
    machine.own('send-budget-wait', request.cancel, [LinkState.streaming]);
    return null;
  }

  /** One frame of catch-up entries (relay.ts): behind the position, which does not move. */
  #sendCatchup(): SendOutcome {
    return nextCatchupFrame(this.relay, this.link.database, (entry) => this.#filter(entry), {
      grant: (bytes) => this.#takeGrant(bytes),
      send: (frame, grant) => this.link.sendFrameThen(frame, () => grant.release()),
    });
  }

  #finishFrame(frame: FrameAssembler, through: number, lastVersion: number): 'sent' {
    if (frame.count >= ENCODE_CHUNK_ENTRIES) this.#chunkEntries = ENCODE_CHUNK_ENTRIES;
    this.#advanceSent(through);
    this.#sentIsPosition = true;
    this.lastSentVersion = lastVersion;
    if (frame.count === 0) {
      this.#scheduleIdlePosition();
      return 'sent';
    }
    this.link.sendFrame(frame.build('txns', 'entries', { through }));
    this.#inFlight.push(through);
    return 'sent';
  }

  /** Tell the peer, a little later, that it is past entries it did not need. */
  #scheduleIdlePosition(): void {
    const { machine } = this.link;
    if (machine.holds('idle-position-timer')) return;
    const timer = setTimeout(() => {
      machine.release('idle-position-timer');
      if (!this.#streaming()) return;
      // A frame sent since carried a later position already.
      if (this.#inFlight.length > 0 && this.#inFlight[this.#inFlight.length - 1]! >= this.#sentThrough) return;
      if (this.#sentThrough <= this.#ackedThrough) return;
      this.link.send({ t: 'txns', entries: [], through: this.#sentThrough });
      this.#inFlight.push(this.#sentThrough);
    }, IDLE_POSITION_INTERVAL_MS);
    timer.unref();
    machine.own('idle-position-timer', () => clearTimeout(timer), [LinkState.streaming]);
  }
}

/**
 * Wake a publisher for each commit: early, as a transaction becomes visible (before its flush,
 * storage/visibility.ts), and surely once it is durable. A wake with nothing new costs one log read.
 */
export function commitWakeups(database: Database, wake: () => void): () => void {
  const offVisible = database.onVisible(wake);
  const offCommit = database.onCommit(wake);
  return () => {
    offVisible();
    offCommit();
  };
}

/** The part of an entry `peer` should get, or null for none of it. */
export function filterForPeer(database: Database, peer: string, entry: LogEntry, publishes: (table: string) => boolean): LogEntry | null {
  // The peer wrote it (or already relayed it to us): it has it.
  if (entry.o === peer) return null;
  const sendable = (table: string) => database.table(table)?.definition.replicate !== false && publishes(table);
  let stubbed = false;
  const writes = entry.w.filter((w) => sendable(w.t)).map((w) => {
    const stub = stubFor(w, peer);
    if (stub !== w) stubbed = true;
    return stub;
  });
  const schema = entry.s?.filter((c) => sendable(c.table) && (c.kind !== 'create_table' || c.replicate));
  if (writes.length === 0 && !schema?.length) return null;
  if (!stubbed && writes.length === entry.w.length && schema?.length === entry.s?.length) return entry;
  const out: LogEntry = { v: entry.v, o: entry.o, u: entry.u, w: writes };
  if (schema?.length) out.s = schema;
  return out;
}


/** A sharded write for a peer that does not hold the record: a stub (key, holders; no record). */
function stubFor(write: LoggedWrite, peer: string): LoggedWrite {
  if (!write.h || write.d || write.x || write.h.includes(peer)) return write;
  return { t: write.t, k: write.k, h: write.h, x: true };
}
