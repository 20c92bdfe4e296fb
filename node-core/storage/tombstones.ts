/**
 * Tombstone retention and the tombstone horizon (SPEC 4.6). Tombstones are kept for
 * `replication.tombstoneRetention`, far longer than the log, so a snapshot merge after a long
 * absence still sees every delete. The horizon is the latest stamp (Tombstone.s, this node's
 * clock) of any tombstone purged: a peer whose position in this node's log is before it may hold
 * rows whose delete this node no longer remembers, so it must not merge blindly.
 */
import type { Database } from './database.ts';
import type { PrimaryKey } from './types.ts';
import type { Table } from './table.ts';

/** Meta key: the highest stamp of a tombstone purged here (0 or absent: none ever). */
export const TOMBSTONE_HORIZON_KEY = ['tombstoneHorizon'];
/** Tombstones removed per LMDB transaction. */
const TOMBSTONE_PURGE_BATCH = 1000;

export function tombstoneHorizon(database: Database): number {
  return database.getMeta<number>(TOMBSTONE_HORIZON_KEY) ?? 0;
}

/** Every tombstone of `table` stored at or after `stamp` (oldest tombstones have no `s`: their version stands in). */
export const stampOf = (tombstone: { v: number; s?: number }): number => tombstone.s ?? tombstone.v;

/**
 * Remove tombstones stored before `cutoff` (this node's clock, ms). The horizon is raised
 * durably before anything is removed, so a crash in between errs on the safe side.
 */
export async function purgeTombstones(database: Database, cutoff: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const stale: Array<{ table: Table; key: PrimaryKey }> = [];
    let highest = tombstoneHorizon(database);
    for (const table of database.tables()) {
      for (const { key, value } of table.stores.tombstones.getRange({})) {
        if (stampOf(value) >= cutoff) continue;
        stale.push({ table, key: key as PrimaryKey });
        highest = Math.max(highest, stampOf(value));
        if (stale.length >= TOMBSTONE_PURGE_BATCH) break;
      }
      if (stale.length >= TOMBSTONE_PURGE_BATCH) break;
    }
    if (stale.length === 0) return removed;
    if (highest > tombstoneHorizon(database)) await database.setMeta([[TOMBSTONE_HORIZON_KEY, highest]]);
    await database.writeUnlogged(() => {
      for (const { table, key } of stale) {
        const current = table.stores.tombstones.get(key);
        // A delete re-stamped it meanwhile: keep that one.
        if (current && stampOf(current) < cutoff) table.stores.tombstones.remove(key);
      }
    });
    removed += stale.length;
    if (stale.length < TOMBSTONE_PURGE_BATCH) return removed;
  }
}
