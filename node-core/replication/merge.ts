/**
 * Merging records and tombstones fetched from a peer as ordinary replicated writes: each winner
 * (by the conflict rule, tombstones included, so a delete is never undone) is written under its
 * own version and origin and logged, so it streams on to every linked node and their relays.
 * cluster_verify repair and the tombstone horizon's resolution use it; the bulk initial copy does
 * not into a database never synced (apply.ts applyCopiedRecords: unlogged there).
 */
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database, WriteTransaction } from '../storage/database.ts';
import type { DataRecord, PrimaryKey } from '../storage/types.ts';
import { wins } from './conflict.ts';
import { ProtocolError } from './protocol.ts';

/** [key, version, origin, record or null for a tombstone], as in copy frames. */
export type CopiedRecord = [PrimaryKey, number, string, DataRecord | null];

export interface MergeOutcome {
  /** keys whose record was written here */
  written: PrimaryKey[];
  /** keys whose record a tombstone removed here */
  deleted: PrimaryKey[];
  /** tombstones stored where there was no record */
  tombstones: number;
}

/** Records merged per LMDB transaction. */
const MERGE_BATCH = 1_000;

export async function mergeLogged(database: Database, clock: HybridLogicalClock, tableName: string, records: readonly CopiedRecord[]): Promise<MergeOutcome> {
  const table = database.table(tableName);
  if (!table) throw new ProtocolError(`merge into unknown table '${database.name}.${tableName}'`);
  const outcome: MergeOutcome = { written: [], deleted: [], tombstones: 0 };
  for (let start = 0; start < records.length; start += MERGE_BATCH) {
    const winners = records.slice(start, start + MERGE_BATCH).filter(([key, v, o]) => wins({ v, o }, table.getStored(key) ?? table.getTombstone(key)));
    if (winners.length === 0) continue;
    await database.transactBatch(
      winners.map(([key, version, origin, record]) => {
        clock.observe(version);
        return {
          options: { user: null, version, origin },
          write: (tx: WriteTransaction) => {
            const stored = table.getStored(key);
            if (!wins({ v: version, o: origin }, stored ?? table.getTombstone(key))) return;
            if (record) {
              table.writeRecord(key, record, version, origin, stored);
              tx.logWrite({ t: table.name, k: key, r: record });
              outcome.written.push(key);
            } else {
              table.deleteRecord(key, version, origin, tx.sequence);
              tx.logWrite({ t: table.name, k: key, d: true });
              if (stored) outcome.deleted.push(key);
              else outcome.tombstones++;
            }
          },
        };
      }),
    );
  }
  return outcome;
}
