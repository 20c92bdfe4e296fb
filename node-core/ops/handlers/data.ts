/**
 * Data operations: insert, update, upsert and delete, with HarperDB's response shapes.
 * Records are checked before the write starts; each request is one atomic transaction.
 */
import { z } from 'zod';
import { badRequest, forbidden, isOpError } from '../../errors.ts';
import type { Database } from '../../storage/database.ts';
import type { Table } from '../../storage/table.ts';
import type { PrimaryKey } from '../../storage/types.ts';
import { deleteRecords, validateRecords, writeRecords, type Placement, type WriteMode, type WriteOutcome } from '../../storage/writes.ts';
import type { WriteTransaction } from '../../storage/database.ts';
import type { StoredRecord } from '../../storage/types.ts';
import type { ReplicationManager } from '../../replication/manager.ts';
import { awaitConfirmations, placementFields, placementFor, type WritePlacement } from '../../replication/placement.ts';
import { fetchHeldElsewhere } from '../../replication/remote-read.ts';
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
  ...placementFields,
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
      const manager = context.node.replication;
      const placement = placementFor(manager, request.database, request);
      const written = await shardedWrite(manager, database, table, keys, placement, context.user?.username ?? null, (tx, sharding) =>
        writeRecords(tx, tx.table(request.table), request.records, keys, mode, sharding),
      );
      const { outcome } = written;
      const answer = {
        message: `${VERB[mode]} ${outcome.written.length} of ${request.records.length} records`,
        [RESPONSE_FIELD[mode]]: outcome.written,
        skipped_hashes: outcome.skipped,
      };
      if (manager && written.sequence > 0) await awaitConfirmations(manager, database, written.sequence, written.holderSets, placement, answer);
      return answer;
    },
  });
}

/**
 * Run a write with its placement (SPEC 4.10): records of keys held elsewhere are fetched first
 * (an update merges into the real record), each written record gets its holders, and the log
 * sequence of the commit and the holder sets come back for replicatedConfirmation.
 */
async function shardedWrite(
  manager: ReplicationManager | null,
  database: Database,
  table: Table,
  keys: ReadonlyArray<PrimaryKey | undefined>,
  placement: WritePlacement,
  user: string | null,
  write: (tx: WriteTransaction, sharding: Placement | undefined) => WriteOutcome,
): Promise<{ outcome: WriteOutcome; sequence: number; holderSets: string[][] | null }> {
  const stubbed = keys.filter((key): key is PrimaryKey => key !== undefined && table.getStub(key) !== undefined);
  const remote = manager && stubbed.length > 0 ? await fetchHeldElsewhere(manager, table, stubbed) : new Map<PrimaryKey, StoredRecord>();
  const holderSets: string[][] = [];
  const choose = placement.holders;
  const holders = choose
    ? (key: PrimaryKey) => {
        const chosen = choose(key);
        holderSets.push(chosen);
        return chosen;
      }
    : null;
  const sharding = holders || remote.size > 0 ? { holders, remote } : undefined;
  let version = 0;
  let sequence = 0;
  const stop = database.onCommit((event) => {
    if (event.entry.v === version && event.entry.o === database.nodeName) sequence = event.sequence;
  });
  try {
    const outcome = await database.transact(
      (tx) => {
        version = tx.version;
        return write(tx, sharding);
      },
      { user },
    );
    return { outcome, sequence, holderSets: choose ? holderSets : null };
  } finally {
    stop();
  }
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
