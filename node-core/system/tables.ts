/**
 * The system database's tables (SPEC 1.2): created on first start, never dropped. Users and
 * nodes replicate; certificates and node info stay local (SPEC 4.2).
 */
import type { Storage } from '../storage/storage.ts';
import type { Database } from '../storage/database.ts';

export const SYSTEM_DATABASE = 'system';

export const SYSTEM_TABLES = [
  { name: 'hdb_user', primaryKey: 'username', replicate: true },
  { name: 'hdb_nodes', primaryKey: 'name', replicate: true },
  { name: 'hdb_certificate', primaryKey: 'name', replicate: false },
  { name: 'hdb_info', primaryKey: 'info_id', replicate: false },
] as const;

export type SystemTableName = (typeof SYSTEM_TABLES)[number]['name'];

export async function ensureSystemDatabase(storage: Storage): Promise<Database> {
  const system = storage.ensureDatabase(SYSTEM_DATABASE);
  for (const table of SYSTEM_TABLES) {
    if (system.table(table.name)) continue;
    await system.createTable(
      { name: table.name, primaryKey: table.primaryKey, attributes: [table.primaryKey], replicate: table.replicate },
      { user: null },
    );
  }
  return system;
}
