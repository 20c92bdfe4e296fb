/**
 * lmdb-js encodes stored values with its own copy of msgpackr, which packs every value of the
 * process into one module-wide buffer. That buffer grows to ~1.5-2x the largest value packed and
 * is never shrunk (only dropped past 1 GB), and when it fills up it is replaced by a new one of
 * the same size: after one 37 MB log entry every node kept a 52 MB buffer for good and allocated
 * another 52 MB one each time small writes filled it. So after a large value is stored the
 * buffer is swapped for a small one. The large buffer then lives only while lmdb's pending
 * write still holds it (its write queue keeps the buffer it was given).
 */
import { encodeBufferBytes } from './encode-size.ts';

/** A stored value whose estimated encoding reaches this (bytes) releases the shared buffer after it. */
export const RELEASE_AFTER_VALUE_BYTES = 4 * 1024 * 1024;
/** The buffer msgpackr starts again with (its own initial size). */
const FRESH_BUFFER_BYTES = 8192;

/** The part of a msgpackr encoder used here (lmdb's copy is typed `any`). */
export interface SharedBufferEncoder {
  useBuffer(buffer: Buffer): void;
}

const hasUseBuffer = (encoder: unknown): encoder is SharedBufferEncoder =>
  typeof encoder === 'object' && encoder !== null && typeof (encoder as Partial<SharedBufferEncoder>).useBuffer === 'function';

/** Give msgpackr a fresh small shared buffer: what it packs next no longer pins the large one. */
export function startFreshBuffer(encoder: SharedBufferEncoder): void {
  encoder.useBuffer(Buffer.allocUnsafeSlow(FRESH_BUFFER_BYTES));
}

/** lmdb sets `encoder` on every opened database; its types declare it only among the options. */
export function sharedEncoderOf(store: object): unknown {
  return (store as { encoder?: unknown }).encoder;
}

/** Call after `store.put(key, value)`: a large value's buffer is not kept by the encoder. */
export function releaseEncoderBufferAfter(store: object, value: unknown): void {
  if (encodeBufferBytes(value) < RELEASE_AFTER_VALUE_BYTES) return;
  const encoder = sharedEncoderOf(store);
  if (hasUseBuffer(encoder)) startFreshBuffer(encoder);
}
