/**
 * The tombstone horizon operations (SPEC 4.6): `cluster_horizon` lists the databases whose
 * replication halted here at a peer's tombstone horizon and the rows only this node holds;
 * `cluster_horizon_resolve` keeps (re-writes) or drops them, and replication resumes.
 */
import { z } from 'zod';
import { badRequest, OpError } from '../../errors.ts';
import { haltRecord } from '../../replication/horizon.ts';
import { tombstoneHorizon } from '../../storage/tombstones.ts';
import { localOnlyRows, resolveHorizon } from '../../replication/horizon-rows.ts';
import type { ReplicationManager } from '../../replication/manager.ts';
import type { OperationContext } from '../context.ts';
import { defineOperation } from '../registry.ts';

function replication(context: OperationContext): ReplicationManager {
  const manager = context.node.replication;
  if (!manager) throw new OpError(503, 'Replication is not running on this node');
  return manager;
}

const databaseName = z.string().min(1).max(128);

export const horizonOperations = [
  defineOperation({
    name: 'cluster_horizon',
    permission: 'super_user',
    schema: z.object({ database: databaseName.optional() }),
    handler: async (request, context) => {
      const manager = replication(context);
      if (request.database) context.node.storage.requireDatabase(request.database);
      const databases = manager.replicatedDatabases().filter((db) => !request.database || db.name === request.database);
      const halted = [];
      for (const database of databases) {
        const halt = haltRecord(database);
        if (!halt) continue;
        const entry = { database: database.name, halted: true, since: new Date(halt.since).toISOString(), reason: halt.reason, halted_by: halt.peers };
        try {
          const { peers, tables } = await localOnlyRows(database);
          halted.push({ ...entry, compared_with: peers, tables: tables.map(({ table, total, rows }) => ({ table, total, rows })) });
        } catch (error) {
          if (!(error instanceof OpError)) throw error;
          halted.push({ ...entry, compared_with: [], tables: null, error: error.message });
        }
      }
      // How far back each database still remembers deletes (0: it has forgotten none).
      const horizons = databases.map((db) => ({ database: db.name, tombstone_horizon: tombstoneHorizon(db) }));
      return { halted, databases: horizons };
    },
  }),
  defineOperation({
    name: 'cluster_horizon_resolve',
    permission: 'super_user',
    writes: true,
    schema: z.object({
      database: databaseName,
      action: z.enum(['keep', 'drop'], { error: "'action' must be 'keep' (write the rows again so they replicate) or 'drop' (delete them here)" }),
    }),
    handler: async (request, context) => {
      replication(context);
      const database = context.node.storage.requireDatabase(request.database);
      if (!haltRecord(database)) throw badRequest(`'database': replication of '${request.database}' is not halted at a tombstone horizon`);
      const { rows, peers } = await resolveHorizon(database, request.action, context.user?.username ?? null);
      const verb = request.action === 'keep' ? 'kept' : 'dropped';
      return { message: `${verb} ${rows} row(s) only this node held; replication of '${request.database}' resumes`, database: request.database, action: request.action, rows, compared_with: peers };
    },
  }),
];
