/**
 * Frames built to a byte budget. A frame of items ({t, <items key>: [...], ...rest}) is
 * assembled from items encoded one by one, so its exact size is known before it is sent and
 * each item is encoded once: msgpack without records or shared structures is compositional
 * (a map is its header, then its keys and values encoded alone), so the assembled bytes are the
 * bytes `encode` would produce for the whole message. Limits are in bytes, named, and their
 * relations checked here when the module loads.
 */
import { DEFAULT_MAX_BODY_SIZE } from '../config/schema.ts';
import { assertInvariant } from './link-state.ts';
import { encodeValue, MAX_FRAME_BYTES, TARGET_FRAME_BYTES } from './protocol.ts';

/** Room kept in every frame for its envelope (type, key names, array header, position). */
export const FRAME_ENVELOPE_BYTES = 256;
/** The largest single item (a transaction, a record) a frame can carry alone. */
export const MAX_ITEM_BYTES = MAX_FRAME_BYTES - FRAME_ENVELOPE_BYTES;
/**
 * How much larger a record is in the log than in the JSON request that wrote it: msgpack can be
 * up to 3x JSON (a 3-character number such as 0.5 becomes a 9-byte float64), plus the
 * timestamps and key the node adds.
 */
export const RECORD_EXPANSION_FACTOR = 3;
export const RECORD_ADDED_BYTES = 256;
/** The largest request body whose biggest possible record still fits a frame alone. */
export const MAX_SAFE_BODY_BYTES = Math.floor((MAX_ITEM_BYTES - RECORD_ADDED_BYTES) / RECORD_EXPANSION_FACTOR);

// The relations the publisher relies on: a full frame is refused by no peer, and any record a
// default-configured ops API accepts fits a frame alone. (A transaction of many records can
// still be larger than a frame: the publisher sends the peer a copy instead, see publish.ts.)
assertInvariant(TARGET_FRAME_BYTES + FRAME_ENVELOPE_BYTES <= MAX_FRAME_BYTES, 'TARGET_FRAME_BYTES fits MAX_FRAME_BYTES');
assertInvariant(DEFAULT_MAX_BODY_SIZE <= MAX_SAFE_BODY_BYTES, 'the default ops API body limit leaves every record room in a frame');

/**
 * Several items encoded in one call, as they would sit one after another inside an array (the
 * array's header cut off): one encoder call per chunk instead of per item.
 */
export function encodeItems(items: readonly unknown[]): Buffer {
  return withoutArrayHeader(encodeValue(items), items.length);
}

/** An encoded array of `length` items without its header: the items as they sit inside it. */
export function withoutArrayHeader(whole: Buffer, length = 1): Buffer {
  const headerBytes = length < 16 ? 1 : length < 65_536 ? 3 : 5;
  assertInvariant(arrayHeader(length).equals(whole.subarray(0, headerBytes)), 'array header as expected');
  return whole.subarray(headerBytes);
}

/** Collects encoded items up to a byte budget; `build` gives the frame's bytes. */
export class FrameAssembler {
  readonly #parts: Buffer[] = [];
  #count = 0;
  #bytes = 0;

  constructor(
    /** the soft budget: an item that would cross it waits for the next frame (unless first) */
    readonly targetBytes: number = TARGET_FRAME_BYTES,
  ) {
    assertInvariant(targetBytes <= MAX_ITEM_BYTES, 'frame target within MAX_ITEM_BYTES');
  }

  /** items added */
  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether an item of `size` bytes joins this frame (the first always does, if it fits alone). */
  fits(size: number): boolean {
    if (size > MAX_ITEM_BYTES) return false;
    return this.#count === 0 || this.#bytes + size <= this.targetBytes;
  }

  /** Add `items` encoded items (one, or a chunk from encodeItems). */
  add(encoded: Buffer, items = 1): void {
    assertInvariant(this.fits(encoded.length), `item of ${encoded.length} bytes fits the frame`);
    this.#parts.push(encoded);
    this.#count += items;
    this.#bytes += encoded.length;
  }

  /** The message `{ t, [itemsKey]: items, ...rest }` as bytes; checked against MAX_FRAME_BYTES. */
  build(t: string, itemsKey: string, rest: Record<string, unknown>): Buffer {
    const keys = Object.keys(rest);
    const frame = Buffer.concat([
      mapHeader(2 + keys.length),
      encodeValue('t'),
      encodeValue(t),
      encodeValue(itemsKey),
      arrayHeader(this.#count),
      ...this.#parts,
      ...keys.flatMap((key) => [encodeValue(key), encodeValue(rest[key])]),
    ]);
    assertInvariant(frame.length <= MAX_FRAME_BYTES, `frame of ${frame.length} bytes within MAX_FRAME_BYTES`);
    return frame;
  }
}

function mapHeader(size: number): Buffer {
  assertInvariant(size < 16, 'small map');
  return Buffer.from([0x80 | size]);
}

function arrayHeader(length: number): Buffer {
  if (length < 16) return Buffer.from([0x90 | length]);
  if (length < 65_536) {
    const header = Buffer.alloc(3);
    header[0] = 0xdc;
    header.writeUInt16BE(length, 1);
    return header;
  }
  const header = Buffer.alloc(5);
  header[0] = 0xdd;
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * Large frames of one log entry, shared by the links that send it: keyed by the entry object
 * (storage/recent-entries.ts hands every publisher the same one while it is alive, and a filter
 * that changes nothing returns it as it is), so a 37 MB transaction for two peers is encoded
 * once, not once per link. Held no longer than the entry itself (a WeakMap).
 */
const largeFrames = new WeakMap<object, { sequence: number; frame: Buffer }>();

export function sharedLargeFrame(sequence: number, entry: object, encode: () => Buffer): Buffer {
  const known = largeFrames.get(entry);
  if (known?.sequence === sequence) return known.frame;
  const frame = encode();
  largeFrames.set(entry, { sequence, frame });
  return frame;
}
