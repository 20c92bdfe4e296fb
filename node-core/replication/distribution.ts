/**
 * Where a table's records live (SPEC 4.10): its sharding settings and each member's stored
 * record count, asked over the links (describe_table). Members that do not answer are named
 * with the reason instead. Only for databases with sharding settings: a fully replicated table
 * is on every member, and describe_table of it keeps HarperDB's shape and costs no round trip
 * to every peer (the table browser asks for it on every page).
 */
import type { Config } from '../config/index.ts';
import type { Table } from '../storage/table.ts';
import type { ReplicationManager } from './manager.ts';
import { RECORD_COUNT } from './peer-requests.ts';
import { membersOf, shardingOf } from './sharding.ts';

export interface RecordDistribution {
  sharding: { sharded: boolean; replicateTo: number | null };
  record_count_by_node: Record<string, number>;
  record_count_errors?: Record<string, string>;
}

export async function recordDistribution(manager: ReplicationManager | null, config: Config, nodeName: string, table: Table): Promise<RecordDistribution | null> {
  const database = table.definition.database;
  const settings = shardingOf(config, database);
  if (!settings) return null;
  const sharding = { sharded: settings.sharded, replicateTo: settings.replicateTo };
  const counts: Record<string, number> = { [nodeName]: table.recordCount() };
  const errors: Record<string, string> = {};
  if (manager && table.definition.replicate) {
    const links = new Map(manager.links().filter((l) => l.database.name === database && l.state === 'open').map((l) => [l.peer, l]));
    await Promise.all(
      membersOf(manager.memberSource, database)
        .filter((member) => member !== nodeName)
        .map(async (member) => {
          const link = links.get(member);
          if (!link) {
            errors[member] = 'not connected';
            return;
          }
          try {
            counts[member] = (await link.request(RECORD_COUNT, { table: table.name })).record_count;
          } catch (error) {
            errors[member] = (error as Error).message;
          }
        }),
    );
  }
  const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  return { sharding, record_count_by_node: sorted, ...(Object.keys(errors).length > 0 ? { record_count_errors: errors } : {}) };
}
