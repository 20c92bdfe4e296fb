/**
 * Data operations: insert, update, upsert and delete, with HarperDB's response shapes.
 * Records are checked before the write starts; each request is one atomic transaction.
 */
import { z } from 'zod';
import { badRequest, forbidden, isOpError } from '../../errors.ts';
import type { Database } from '../../storage/database.ts';
import type { Table } from '../../storage/table.ts';
import type { PrimaryKey } from '../../storage/types.ts';
import { deleteRecords, validateRecords, writeRecords, type WriteMode } from '../../storage/writes.ts';
import { SYSTEM_DATABASE } from '../../system/tables.ts';
import type { OperationContext } from '../context.ts';
import { defineOperation } from '../registry.ts';
import { dataRecord, databaseField, primaryKeyValue, tableName } from '../validation.ts';

/** Bounds a single request; larger loads are split by the client (the body limit applies too). */
export const MAX_RECORDS_PER_REQUEST = 100_000;

const writeSchema = z.object({
  database: databaseField,
  table: tableName,
  records: z.array(dataRecord).max(MAX_RECORDS_PER_REQUEST),
});

function refuseSystemWrites(database: string): void {
  if (database === SYSTEM_DATABASE) {
    throw forbidden("The system database is changed through its operations (add_user, add_node, add_certificate), not by data operations");
  }
}

/**
 * The table a write goes to. A missing database or table is the client's mistake, and HarperDB
 * answers it with 400 and the same words ("Table 'dev.dog' does not exist").
 */
function writeTarget(context: OperationContext, databaseName: string, tableName: string): { database: Database; table: Table } {
  try {
    const database = context.node.storage.requireDatabase(databaseName);
    return { database, table: database.requireTable(tableName) };
  } catch (error) {
    if (isOpError(error) && error.status === 404) throw badRequest(error.message);
    throw error;
  }
}

const RESPONSE_FIELD: Record<WriteMode, string> = {
  insert: 'inserted_hashes',
  update: 'update_hashes',
  upsert: 'upserted_hashes',
};
const VERB: Record<WriteMode, string> = { insert: 'inserted', update: 'updated', upsert: 'upserted' };

function writeOperation(mode: WriteMode) {
  return defineOperation({
    name: mode,
    permission: 'any',
    writes: true,
    schema: writeSchema,
    handler: async (request, context: OperationContext) => {
      refuseSystemWrites(request.database);
      const { database, table } = writeTarget(context, request.database, request.table);
      const keys = validateRecords(table, request.records, mode);
      const outcome = await database.transact(
        (tx) => writeRecords(tx, tx.table(request.table), request.records, keys, mode),
        { user: context.user?.username ?? null },
      );
      return {
        message: `${VERB[mode]} ${outcome.written.length} of ${request.records.length} records`,
        [RESPONSE_FIELD[mode]]: outcome.written,
        skipped_hashes: outcome.skipped,
      };
    },
  });
}

export const dataOperations = [
  writeOperation('insert'),
  writeOperation('update'),
  writeOperation('upsert'),
  defineOperation({
    name: 'delete',
    permission: 'any',
    writes: true,
    schema: z.object({
      database: databaseField,
      table: tableName,
      ids: z.array(primaryKeyValue).max(MAX_RECORDS_PER_REQUEST),
    }),
    handler: async (request, context) => {
      refuseSystemWrites(request.database);
      const database = context.node.storage.requireDatabase(request.database);
      database.requireTable(request.table);
      const outcome = await database.transact(
        (tx) => deleteRecords(tx, tx.table(request.table), request.ids as PrimaryKey[]),
        { user: context.user?.username ?? null },
      );
      return {
        message: `${outcome.deleted.length} of ${request.ids.length} record${request.ids.length === 1 ? '' : 's'} successfully deleted`,
        deleted_hashes: outcome.deleted,
        skipped_hashes: outcome.skipped,
      };
    },
  }),
];
