/**
 * One encoding of a large log entry for all the links that send it: each publisher of a node
 * sends the same fresh commit, and a large one (DETACH_ENCODED_BYTES and up, which has a buffer
 * of its own) is encoded once, not once per link. Held as long as the entry object lives
 * (storage/recent-entries.ts shares that object between publishers).
 */
import type { LogEntry } from '../storage/types.ts';
import { encodeItems, withoutArrayHeader } from './frames.ts';
import { encodeBufferBytes } from './encode-size.ts';
import { DETACH_ENCODED_BYTES, encodeLargeValue } from './protocol.ts';

const encodings = new WeakMap<LogEntry, { sequence: number; bytes: Buffer }>();

/** encodeItems([[sequence, entry]]), shared when large. */
export function encodeEntryItem(sequence: number, entry: LogEntry): Buffer {
  const known = encodings.get(entry);
  if (known?.sequence === sequence) return known.bytes;
  const item: [number, LogEntry] = [sequence, entry];
  const bufferBytes = encodeBufferBytes(item);
  const bytes = bufferBytes >= DETACH_ENCODED_BYTES ? withoutArrayHeader(encodeLargeValue([item], bufferBytes)) : encodeItems([item]);
  if (bytes.length >= DETACH_ENCODED_BYTES) encodings.set(entry, { sequence, bytes });
  return bytes;
}
