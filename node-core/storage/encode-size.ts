/**
 * A buffer size for encoding one large value without msgpackr growing its buffer on the way:
 * growth allocates ~2x the value in steps (each a garbage buffer until the next GC) and leaves
 * the result in a buffer about twice its size. The estimate counts each string at one byte per
 * character (the usual case) plus the room msgpackr asks for before writing the largest string
 * (three bytes per character); a value with many multi-byte characters simply grows as before.
 */

/** Bytes counted for any non-string scalar (a float64 with its type byte is the largest). */
const SCALAR_BYTES = 9;
/** Header bytes counted per string, array or map (the largest msgpack header). */
const HEADER_BYTES = 5;
/** Slack on top of the estimate, in bytes (msgpackr keeps some room free at the end). */
const SLACK_BYTES = 64 * 1024;
/** Below this depth the walk stops counting (values nest no deeper in practice). */
const MAX_DEPTH = 64;

export function encodeBufferBytes(value: unknown): number {
  const sizes = { total: 0, longestString: 0 };
  walk(value, sizes, 0);
  return sizes.total + 3 * sizes.longestString + SLACK_BYTES;
}

function walk(value: unknown, sizes: { total: number; longestString: number }, depth: number): void {
  if (typeof value === 'string') {
    sizes.total += value.length + HEADER_BYTES;
    if (value.length > sizes.longestString) sizes.longestString = value.length;
    return;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) {
    sizes.total += SCALAR_BYTES;
    return;
  }
  sizes.total += HEADER_BYTES;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, sizes, depth + 1);
    return;
  }
  if (value instanceof Uint8Array) {
    sizes.total += value.length;
    return;
  }
  for (const key in value) {
    walk(key, sizes, depth + 1);
    walk((value as Record<string, unknown>)[key], sizes, depth + 1);
  }
}
