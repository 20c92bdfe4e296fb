/**
 * Early notice that a write transaction is visible to readers, before its flush. lmdb-js (3.x)
 * with overlappingSync resolves a write's promise only after the commit is synced to disk: its
 * write thread sets the committed flag once mdb_txn_commit returns, and that call fsyncs. The
 * transaction is visible to readers, and survives kill -9 (lmdb-js restores the latest committed
 * transaction while the boot id is unchanged), as soon as its meta page is written, 1–2 ms
 * (an fsync) earlier. The write thread does tell the JS thread at that moment (progress status
 * 1, which lmdb-js ignores); this module listens for it. Replication wakes on it, so a write
 * reaches the replicas while its own flush runs; the API still answers only after the flush.
 *
 * A hint, never the only signal: the environment's own commit (after the flush) still announces
 * every transaction, and a library that stops sending status 1 only costs the early wake.
 */
import type { RootDatabase } from 'lmdb';

/** lmdb-js's write-progress status sent when a transaction becomes visible to readers. */
const STATUS_VISIBLE = 1;

type ProgressCallback = (status: number) => unknown;
interface NativeWriter {
  startWriting(address: number, callback: ProgressCallback): unknown;
}

/**
 * Call `onVisible` each time a write transaction of `root` becomes visible. Returns false (and
 * changes nothing) when this lmdb-js does not have the native writer this relies on.
 */
export function watchVisibility(root: RootDatabase, onVisible: () => void): boolean {
  const native = (root as unknown as { env?: Partial<NativeWriter> }).env;
  const startWriting = native?.startWriting;
  if (!native || typeof startWriting !== 'function') return false;
  try {
    // The method is a read-only property of the native prototype: shadow it on this instance.
    Object.defineProperty(native, 'startWriting', {
      configurable: true,
      value(this: NativeWriter, address: number, callback: ProgressCallback): unknown {
        return startWriting.call(this, address, (status: number) => {
          const result = callback(status);
          if (status === STATUS_VISIBLE) onVisible();
          return result;
        });
      },
    });
    return true;
  } catch {
    return false;
  }
}

/** One-shot waiters for "the transaction running now is visible", and listeners for every notice. */
export class VisibilitySignal {
  #waiters: Array<() => void> = [];
  readonly #listeners = new Set<() => void>();

  /** A transaction became visible: settle the waiters, then tell the listeners. */
  fire(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
    for (const listener of this.#listeners) listener();
  }

  /**
   * Resolves at the next notice. Called inside a transaction callback, that is when the
   * transaction is visible (or, should its notice be missing, a later one's: never earlier).
   */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}
