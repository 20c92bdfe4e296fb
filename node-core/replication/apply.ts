/**
 * Applies what a peer sends: log entries (each atomically, all tables of it together, under its
 * original version and origin, by the conflict rule; deletes leave tombstones) and initial-copy
 * records. The peer's position is persisted in the same LMDB transaction as the data, so a
 * crash re-sends rather than loses, and re-delivery changes nothing.
 */
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database, WriteTransaction } from '../storage/database.ts';
import type { Table } from '../storage/table.ts';
import type { DataRecord, LogEntry, LoggedWrite, PrimaryKey, SchemaChange } from '../storage/types.ts';
import { wins } from './conflict.ts';
import { mergeLogged } from './merge.ts';
import { checkHolders, copiedInFull, incomingWins, type CopiedRecord } from './stubs.ts';

export type { CopiedRecord };
import { ProtocolError } from './protocol.ts';
import { systemRowProblem } from '../security/peer-input.ts';

export const positionKey = (peer: string) => ['position', peer];
export const SYNCED_KEY = ['synced'];

export interface ApplyFilter {
  /** false: this node does not take writes of `table` from this peer */
  accepts(table: string): boolean;
  /** called inside the LMDB transaction, last (so Database.nextVisible says when it is visible) */
  committing?(): void;
}

export interface ApplyOutcome {
  applied: number;
  dropped: number;
  /** false when nothing could win, so no transaction ran and the position was not persisted */
  committed: boolean;
}

/** Apply a frame of log entries and advance the peer's position to `through`, in one commit. */
export async function applyEntries(
  database: Database,
  clock: HybridLogicalClock,
  peer: string,
  entries: ReadonlyArray<[number, LogEntry]>,
  through: number,
  filter: ApplyFilter,
): Promise<ApplyOutcome> {
  // Duplicates (relays, re-sends) are common: when no write can win, skip the commit entirely.
  // Stored versions only grow, so a write that loses now would lose inside a transaction too.
  if (!entries.some(([, entry]) => entry.s?.some((c) => schemaChangesSomething(database, c)) || entry.w.some((w) => filter.accepts(w.t) && couldWin(database, w, entry)))) {
    return { applied: 0, dropped: entries.reduce((n, [, e]) => n + e.w.length, 0), committed: false };
  }
  const created = await ensureSchema(database, entries);
  const outcome: ApplyOutcome = { applied: 0, dropped: 0, committed: true };
  await database.transactBatch(
    entries.map(([, entry]) => {
      clock.observe(entry.v);
      return {
        options: { user: entry.u, version: entry.v, origin: entry.o, merged: entry.m === true },
        write: (tx: WriteTransaction) => {
          for (const change of entry.s ?? []) applySchemaChange(tx, database, change, created);
          for (const write of entry.w) {
            if (!filter.accepts(write.t)) continue;
            const table = database.table(write.t);
            if (!table) throw new ProtocolError(`write to unknown table '${database.name}.${write.t}'`);
            const rowProblem = systemRowProblem(database.name, write.t, write.k, write.r);
            if (rowProblem) throw new ProtocolError(rowProblem);
            if (applyWrite(tx, database, table, write)) outcome.applied++;
            else outcome.dropped++;
          }
        },
      };
    }),
    (meta) => {
      meta.set(positionKey(peer), through);
      filter.committing?.();
    },
  );
  return outcome;
}

/**
 * Merge copied records and tombstones (record null) by the conflict rule. Into a database never
 * synced (an initial copy) nothing is logged and it resolves at commit. Into a synced one (a
 * resync after an absence past the log, or a repair) the winners are logged writes under their
 * own version and origin (merge.ts), so they relay to the nodes that reach the sender only
 * through this one — unlogged they would stop here.
 */
export async function applyCopiedRecords(
  database: Database,
  clock: HybridLogicalClock,
  tableName: string,
  records: ReadonlyArray<CopiedRecord>,
): Promise<number> {
  if (database.getMeta<boolean>(SYNCED_KEY) === true) {
    const merged = await mergeLogged(database, clock, tableName, records);
    return merged.written.length + merged.deleted.length + merged.tombstones;
  }
  const table = database.table(tableName);
  if (!table) throw new ProtocolError(`copy of unknown table '${database.name}.${tableName}'`);
  let applied = 0;
  await database.writeUnlogged(() => {
    // Stored now on this node's clock: a peer whose position is past this instant has it.
    const storedAt = clock.next();
    for (const [key, version, origin, record, holders] of records) {
      const rowProblem = systemRowProblem(database.name, tableName, key, record);
      if (rowProblem) throw new ProtocolError(rowProblem);
      checkHolders(holders);
      clock.observe(version);
      const full = copiedInFull(record, holders, database.nodeName);
      if (!incomingWins(table, key, { v: version, o: origin }, full)) continue;
      if (holders && !full) table.writeStub(key, version, origin, holders);
      else if (record) table.writeRecord(key, record, version, origin, table.getStored(key), holders);
      else table.deleteRecord(key, version, origin, storedAt);
      applied++;
    }
  });
  if (applied > 0) database.notifyTablesChanged([tableName]);
  return applied;
}

/** Whether a logged write carries the record in full for this node (not a stub, not a delete). */
function isFullHere(database: Database, write: LoggedWrite): boolean {
  checkHolders(write.h);
  if (write.x && !write.h) throw new ProtocolError('stub without holders');
  return !write.d && !write.x && (!write.h || write.h.includes(database.nodeName));
}

function couldWin(database: Database, write: LoggedWrite, entry: LogEntry): boolean {
  const table = database.table(write.t);
  if (!table) return true; // let the transaction report the unknown table
  return incomingWins(table, write.k, { v: entry.v, o: entry.o }, isFullHere(database, write));
}

function applyWrite(tx: WriteTransaction, database: Database, table: Table, write: LoggedWrite): boolean {
  const { k: key, h: holders } = write;
  const full = isFullHere(database, write);
  if (!incomingWins(table, key, { v: tx.version, o: tx.origin }, full)) return false;
  const record = write.d || write.x ? undefined : write.r;
  if (holders && !write.d && !full) {
    // Held elsewhere: keep key, version and holders (a stub), and relay it as one.
    table.writeStub(key, tx.version, tx.origin, holders);
    tx.logWrite({ t: table.name, k: key, h: holders, x: true });
  } else if (record) {
    table.writeRecord(key, record, tx.version, tx.origin, table.getStored(key), holders);
    tx.logWrite(holders ? { t: table.name, k: key, r: record, h: holders } : { t: table.name, k: key, r: record });
  } else {
    table.deleteRecord(key, tx.version, tx.origin, tx.sequence);
    tx.logWrite({ t: table.name, k: key, d: true });
  }
  return true;
}

/**
 * Log a schema change only when it changed something here, so it relays onwards once: a change
 * that changed nothing is a copy that came round the mesh, and re-logging it would send it
 * round forever.
 */
function applySchemaChange(tx: WriteTransaction, database: Database, change: SchemaChange, created: Set<string>): void {
  if (change.kind === 'create_table') {
    // Created by ensureSchema just before this transaction.
    if (created.delete(change.table)) tx.logSchema(change);
  } else if (change.kind === 'create_attribute') {
    if (database.table(change.table)?.addAttribute(change.attribute)) tx.logSchema(change);
  }
  // drop_table is not replicated: dropping a table everywhere from one node is too sharp an edge.
}

/** Create the tables the entries create that do not exist here yet; returns their names. */
async function ensureSchema(database: Database, entries: ReadonlyArray<[number, LogEntry]>): Promise<Set<string>> {
  const wanted = entries
    .flatMap(([, entry]) => entry.s ?? [])
    .filter((c): c is Extract<SchemaChange, { kind: 'create_table' }> => c.kind === 'create_table' && !database.table(c.table));
  if (wanted.length === 0) return new Set();
  await database.ensureTables(wanted.map((c) => ({ name: c.table, primaryKey: c.primaryKey, attributes: c.attributes, replicate: c.replicate })));
  return new Set(wanted.map((c) => c.table));
}

/** Whether a schema change would change anything here. */
function schemaChangesSomething(database: Database, change: SchemaChange): boolean {
  if (change.kind === 'create_table') return !database.table(change.table);
  if (change.kind === 'create_attribute') return database.table(change.table)?.hasAttribute(change.attribute) === false;
  return false;
}
