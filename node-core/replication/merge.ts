/**
 * Merging records and tombstones fetched from a peer as ordinary replicated writes: each winner
 * (by the conflict rule, tombstones included, so a delete is never undone) is written under its
 * own version and origin and logged, so it streams on to every linked node and their relays.
 * cluster_verify repair and the tombstone horizon's resolution use it; the bulk initial copy does
 * not into a database never synced (apply.ts applyCopiedRecords: unlogged there).
 */
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database, WriteTransaction } from '../storage/database.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { ProtocolError } from './protocol.ts';
import { checkHolders, copiedInFull, incomingWins, type CopiedRecord } from './stubs.ts';

export type { CopiedRecord };

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
    // Sharded tables (SPEC 4.10): a record with holders this node is not among is kept as a stub.
    const winners = records.slice(start, start + MERGE_BATCH).filter(([key, v, o, record, holders]) => {
      checkHolders(holders);
      return incomingWins(table, key, { v, o }, copiedInFull(record, holders, database.nodeName));
    });
    if (winners.length === 0) continue;
    await database.transactBatch(
      winners.map(([key, version, origin, record, holders]) => {
        clock.observe(version);
        const full = copiedInFull(record, holders, database.nodeName);
        return {
          options: { user: null, version, origin, merged: true },
          write: (tx: WriteTransaction) => {
            const stored = table.getStored(key);
            if (!incomingWins(table, key, { v: version, o: origin }, full)) return;
            if (holders && !full) {
              table.writeStub(key, version, origin, holders);
              tx.logWrite({ t: table.name, k: key, h: holders, x: true });
            } else if (record) {
              table.writeRecord(key, record, version, origin, stored, holders);
              tx.logWrite(holders ? { t: table.name, k: key, r: record, h: holders } : { t: table.name, k: key, r: record });
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
