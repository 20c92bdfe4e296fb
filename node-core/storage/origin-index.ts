/**
 * The log's index by origin: (origin, version, sequence) for every logged transaction, one put
 * per transaction, so replication can find "the entries of origin O newer than version V that
 * this node logged" (a relay's catch-up, replication/relay.ts) without scanning the whole log.
 * Keys only (the value is a placeholder); removed with the log entries retention purges.
 */
import type { Database as LmdbDb, Key, RootDatabase } from 'lmdb';
import type { LogEntry } from './types.ts';

/** The named sub-database the index lives in (counted in security/table-limit.ts). */
export const ORIGIN_INDEX_NAME = 'log-by-origin';

/** One indexed transaction: its version and its place in this node's log. */
export interface OriginIndexed {
  version: number;
  sequence: number;
}

export class OriginIndex {
  readonly #store: LmdbDb<true, Key>;

  constructor(env: RootDatabase) {
    this.#store = env.openDB<true, Key>(ORIGIN_INDEX_NAME, {});
  }

  /** Inside the transaction that logs `entry` at `sequence`. */
  record(sequence: number, entry: LogEntry): void {
    void this.#store.put([entry.o, entry.v, sequence], true);
  }

  /** Inside the transaction that removes `entry` (at `sequence`) from the log. */
  remove(sequence: number, entry: LogEntry): void {
    void this.#store.remove([entry.o, entry.v, sequence]);
  }

  /** Transactions of `origin` with a version above `afterVersion`, by version, at most `limit`. */
  *after(origin: string, afterVersion: number, limit: number): Generator<OriginIndexed> {
    let count = 0;
    // Every key of `origin` sorts before [origin + '\0'] (arrays compare element by element).
    for (const key of this.#store.getKeys({ start: [origin, afterVersion], end: [`${origin}\u0000`] })) {
      const [, version, sequence] = key as [string, number, number];
      if (version <= afterVersion) continue;
      if (count++ >= limit) return;
      yield { version, sequence };
    }
  }
}
