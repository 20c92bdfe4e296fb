/**
 * A full garbage collection after large payloads. One 37 MB transaction leaves several copies
 * of itself behind as garbage: the request body, its parsed strings, their encodings for the
 * record store and the log, the frame for the peers and each link's masked copy of it; on a
 * receiver, the socket's chunks, the joined frame and the decoded records; a search answering
 * large records leaves the records and their JSON. V8 schedules its next full collection at the
 * live heap times a growing factor of up to 4, so after two such transactions and a few reads
 * of them, nodes sat at 700-800 MB RSS of which the larger part was garbage (heap snapshots:
 * 126-236 MB live).
 *
 * Work that handled a large payload reports its bytes once done, when its copies are no longer
 * reachable. When the bytes reported since the last collection reach RECLAIM_AFTER_BYTES, one
 * full collection runs on the next turn of the event loop (reports in between join it). Payloads
 * under LARGE_PAYLOAD_BYTES are not counted: ordinary traffic never pays for this.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** A payload this large (bytes) or larger is counted. */
export const LARGE_PAYLOAD_BYTES = 1024 * 1024;
/** Bytes of large payloads after which a full collection runs. */
export const RECLAIM_AFTER_BYTES = 64 * 1024 * 1024;
if (RECLAIM_AFTER_BYTES < 2 * LARGE_PAYLOAD_BYTES) throw new Error('RECLAIM_AFTER_BYTES must span several large payloads');

export type Collector = () => void;

export class Reclaimer {
  #pendingBytes = 0;
  #scheduled = false;
  #collections = 0;

  constructor(private readonly collect: Collector | null) {}

  /** Report `bytes` of a payload whose handling just finished. */
  done(bytes: number): void {
    if (bytes < LARGE_PAYLOAD_BYTES || !this.collect) return;
    this.#pendingBytes += bytes;
    if (this.#pendingBytes < RECLAIM_AFTER_BYTES || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pendingBytes = 0;
      this.#collections += 1;
      this.collect!();
    });
  }

  /** Full collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** Whether this runtime lets the node ask for a collection. */
  get enabled(): boolean {
    return this.collect !== null;
  }
}

/**
 * V8's full collection, made callable without starting the process with --expose-gc: the flag
 * set at run time takes effect for contexts created after it, so a fresh context has `gc`.
 * Null where the runtime refuses (the node then simply relies on V8's own schedule).
 */
function fullCollector(): Collector | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return () => void (existing as () => unknown)();
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? () => void (gc as () => unknown)() : null;
  } catch {
    return null;
  }
}

/** The process's reclaimer: collections are process-wide, so is their budget. */
export const reclaimer = new Reclaimer(fullCollector());
