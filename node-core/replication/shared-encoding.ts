/**
 * One encoding of a large log entry for all the links that send it: each publisher of a node
 * sends the same fresh commit, and a large one (DETACH_ENCODED_BYTES and up, which has a buffer
 * of its own) is encoded once, not once per link. Held as long as the entry object lives
 * (storage/recent-entries.ts shares that object between publishers).
 */
import type { LogEntry } from '../storage/types.ts';
import { encodeItems } from './frames.ts';
import { DETACH_ENCODED_BYTES } from './protocol.ts';

const encodings = new WeakMap<LogEntry, { sequence: number; bytes: Buffer }>();

/** encodeItems([[sequence, entry]]), shared when large. */
export function encodeEntryItem(sequence: number, entry: LogEntry): Buffer {
  const known = encodings.get(entry);
  if (known?.sequence === sequence) return known.bytes;
  const bytes = encodeItems([[sequence, entry]]);
  if (bytes.length >= DETACH_ENCODED_BYTES) encodings.set(entry, { sequence, bytes });
  return bytes;
}
