/**
 * Bulk loading: many rows written into their tables in ONE unlogged LMDB transaction, in the
 * order given (an initial copy sends each table in key order, so the record store and the
 * index's per-value duplicate lists grow at their ends), through the Table methods — the index
 * format stays Table's. A commit is the expensive part of a small write (the pages a
 * transaction dirtied are written whole), so a copy commits tens of thousands of rows at once
 * instead of a frame at a time. Whoever loads decides per row what to write (the conflict rule
 * is not storage's business); `finish` writes meta values in the same transaction.
 */
import type { Database, MetaWriter } from './database.ts';
import type { Table } from './table.ts';
import type { DataRecord, PrimaryKey } from './types.ts';
import { releaseEncoderBufferAfter } from './encoder-buffer.ts';

/** A row to load: key, version, origin, record (null: a tombstone or a stub), holders. */
export type BulkRow = readonly [PrimaryKey, number, string, DataRecord | null, string[]?];

export interface BulkBatch {
  table: Table;
  rows: readonly BulkRow[];
}

/** What to do with one row, decided inside the transaction (it sees what is stored now). */
export type BulkWrite = 'record' | 'stub' | 'tombstone' | 'skip';

export interface BulkLoadOptions {
  decide(table: Table, row: BulkRow): BulkWrite;
  /** the stamp tombstones written now are stored at (Tombstone.s) */
  storedAt: number;
  /** runs last, inside the same transaction */
  finish?(meta: MetaWriter): void;
}

/** Rows per transaction a bulk load is meant for at most (bounds what one commit holds in memory). */
export const MAX_BULK_ROWS = 100_000;

/** Load `batches` in one transaction; resolves with the rows written once it is committed. */
export async function bulkLoad(database: Database, batches: readonly BulkBatch[], options: BulkLoadOptions): Promise<number> {
  const rows = batches.reduce((n, b) => n + b.rows.length, 0);
  if (rows > MAX_BULK_ROWS) throw new RangeError(`a bulk load of ${rows} rows is more than MAX_BULK_ROWS (${MAX_BULK_ROWS})`);
  let written = 0;
  await database.writeUnlogged((meta) => {
    written = 0;
    for (const { table, rows: tableRows } of batches) {
      for (const row of tableRows) {
        const what = options.decide(table, row);
        if (what === 'skip') continue;
        const [key, version, origin, record, holders] = row;
        if (what === 'record') {
          if (!record) throw new TypeError(`bulk load: row ${JSON.stringify(key)} of ${table.name} has no record to write`);
          table.writeRecord(key, record, version, origin, undefined, holders);
        } else if (what === 'stub') {
          if (!holders) throw new TypeError(`bulk load: stub ${JSON.stringify(key)} of ${table.name} has no holders`);
          table.writeStub(key, version, origin, holders);
        } else table.deleteRecord(key, version, origin, options.storedAt);
        written++;
      }
      // Large copied records grow lmdb's shared encode buffer as a large log entry does.
      releaseEncoderBufferAfter(table.stores.records, tableRows);
    }
    options.finish?.(meta);
  });
  return written;
}
