/**
 * Catch-up frames (relay.ts): log entries a relay skipped for a peer while their origin streamed
 * to it directly, sent once that origin's link is gone. They are behind the peer's position in
 * this node's log, so they travel as `txns` frames marked `catchup` that move no position and
 * are not acknowledged. Built to the same byte budget as the live stream; a large entry goes
 * alone, through the node-wide send budget (send-budget.ts).
 */
import type { Database } from '../storage/database.ts';
import { encodeBufferBytes } from '../storage/encode-size.ts';
import type { LogEntry } from '../storage/types.ts';
import { FRAME_ENVELOPE_BYTES, FrameAssembler } from './frames.ts';
import { DETACH_ENCODED_BYTES, encodeLargeValue, encodeValue, MAX_ENTRIES_PER_FRAME, MAX_FRAME_BYTES, type TxnsMessage } from './protocol.ts';
import type { RelayView } from './relay.ts';
import type { SendGrant } from './send-budget.ts';

export interface CatchupIo {
  /** budget for a large frame, or null while the link must wait for it */
  grant(bytes: number): SendGrant | null;
  send(frame: Buffer, grant: SendGrant): void;
}

/**
 * Send the next catch-up frame. 'sent' when the queue moved (a frame went, or everything taken
 * was filtered out), 'blocked' waiting for the send budget, 'oversized' when an entry cannot be
 * sent (larger than a frame, or purged meanwhile): the peer then needs a copy.
 */
export function nextCatchupFrame(relay: RelayView, database: Database, filter: (entry: LogEntry) => LogEntry | null, io: CatchupIo): 'sent' | 'blocked' | 'oversized' {
  const sequences = relay.takeCatchup(MAX_ENTRIES_PER_FRAME);
  const frame = new FrameAssembler();
  let next = 0;
  for (; next < sequences.length; next++) {
    const sequence = sequences[next]!;
    const entry = database.logEntry(sequence);
    if (!entry) {
      relay.putBack(sequences.slice(next));
      return 'oversized';
    }
    const filtered = filter(entry);
    if (!filtered) continue;
    const estimate = encodeBufferBytes(filtered) + FRAME_ENVELOPE_BYTES;
    if (estimate >= DETACH_ENCODED_BYTES) {
      // Large: alone in its frame, after what this frame holds already.
      if (frame.count > 0) break;
      return sendLarge(relay, sequences.slice(next), filtered, estimate, io);
    }
    const one = encodeValue([sequence, filtered]);
    if (!frame.fits(one.length)) break;
    frame.add(one);
  }
  relay.putBack(sequences.slice(next));
  if (frame.count > 0) io.send(frame.build('txns', 'entries', { through: 0, catchup: true }), { bytes: 0, release: () => undefined });
  return 'sent';
}

/** `sequences[0]` is the large entry `entry` (filtered); the rest go back to the queue. */
function sendLarge(relay: RelayView, sequences: number[], entry: LogEntry, estimate: number, io: CatchupIo): 'sent' | 'blocked' | 'oversized' {
  const grant = io.grant(estimate);
  if (!grant) {
    relay.putBack(sequences);
    return 'blocked';
  }
  const message: TxnsMessage = { t: 'txns', entries: [[sequences[0]!, entry]], through: 0, catchup: true };
  const bytes = encodeLargeValue(message, estimate);
  if (bytes.length > MAX_FRAME_BYTES) {
    grant.release();
    relay.putBack(sequences);
    return 'oversized';
  }
  relay.putBack(sequences.slice(1));
  io.send(bytes, grant);
  return 'sent';
}
