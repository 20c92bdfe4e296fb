/**
 * How many tables one database may hold (issue 10 item 9). Each table takes LMDB sub-databases
 * (records, index, tombstones, stubs) from a fixed maxDbs per environment; past it LMDB fails with
 * MDB_DBS_FULL and every later create_table would be a 500. The bound sits below that limit and
 * is checked wherever tables are made: create_table, and schemas a peer sends.
 */
import { badRequest, type OpError } from '../errors.ts';

/** LMDB sub-databases one table uses (records, index, tombstones, stubs); storage asserts it. */
export const SUB_DATABASES_PER_TABLE = 4;
/** Sub-databases of an environment besides its tables (meta, log, the log's origin index). */
export const FIXED_SUB_DATABASES = 3;
/** Tables per database at most; storage checks `this * per table + fixed <= maxDbs`. */
export const MAX_TABLES_PER_DATABASE = 900;

/** The 400 for a database that would pass the bound, or null. */
export function tableCapacityError(database: string, existing: number, adding: number): OpError | null {
  if (existing + adding <= MAX_TABLES_PER_DATABASE) return null;
  return badRequest(
    `database '${database}' would have ${existing + adding} tables; at most ${MAX_TABLES_PER_DATABASE} fit in one database (LMDB's sub-database limit)`,
  );
}
