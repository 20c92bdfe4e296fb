/**
 * The rows a node halted at a tombstone horizon holds alone (replication/horizon.ts), and the
 * user's decision on them: `keep` writes them again as new local writes (fresh version, logged,
 * so they replicate once replication resumes) and `drop` deletes them (logged tombstones). Rows
 * only this node holds are those no held peer has a record or a tombstone of: for every other
 * row the conflict rule decides on its own.
 */
import { conflict } from '../errors.ts';
import type { Database } from '../storage/database.ts';
import type { Table } from '../storage/table.ts';
import { UPDATED_TIME } from '../storage/table.ts';
import type { DataRecord, PrimaryKey } from '../storage/types.ts';
import { deleteRecords } from '../storage/writes.ts';
import { heldLinks, resume } from './horizon.ts';
import { ABSENT, REQUEST_PAGE_SIZE, REQUESTS_FEATURE } from './requests.ts';

/** Rows listed per table (the count is always complete). */
export const LOCAL_ONLY_ROWS_LISTED_MAX = 1_000;
/** Keys written or deleted per transaction when resolving. */
const RESOLVE_BATCH = 1_000;

export type HorizonAction = 'keep' | 'drop';

export interface LocalOnlyRow {
  key: PrimaryKey;
  version: number;
  origin: string;
  record: DataRecord;
}

export interface LocalOnlyTable {
  table: string;
  total: number;
  rows: LocalOnlyRow[];
  /** every key (for resolving; not returned to clients beyond `rows`) */
  keys: PrimaryKey[];
}

/** Ask every held peer which of this node's rows it has no trace of; keep those absent everywhere. */
export async function localOnlyRows(database: Database): Promise<{ peers: string[]; tables: LocalOnlyTable[] }> {
  // Older peers cannot answer: only those whose hello lists the requests feature are asked.
  const links = heldLinks(database).filter((l) => l.peerHas(REQUESTS_FEATURE));
  if (links.length === 0) throw conflict(`no peer of '${database.name}' is linked right now to compare rows with: bring one online and retry`);
  const tables: LocalOnlyTable[] = [];
  for (const table of database.tables().filter((t) => t.definition.replicate)) {
    const keys: PrimaryKey[] = [];
    let page: PrimaryKey[] = [];
    const flush = async () => {
      let absent = page;
      for (const link of links) {
        if (absent.length === 0) break;
        absent = (await link.request(ABSENT, { table: table.name, keys: absent })).keys;
      }
      keys.push(...absent);
      page = [];
    };
    for (const { key } of table.scan()) {
      page.push(key);
      if (page.length >= REQUEST_PAGE_SIZE) await flush();
    }
    await flush();
    if (keys.length > 0) tables.push({ table: table.name, total: keys.length, rows: listRows(table, keys), keys });
  }
  return { peers: links.map((l) => l.peer), tables };
}

function listRows(table: Table, keys: readonly PrimaryKey[]): LocalOnlyRow[] {
  return keys.slice(0, LOCAL_ONLY_ROWS_LISTED_MAX).flatMap((key) => {
    const stored = table.getStored(key);
    return stored ? [{ key, version: stored.v, origin: stored.o, record: stored.r }] : [];
  });
}

/** Apply the user's decision to every row only this node holds, then resume replication. */
export async function resolveHorizon(database: Database, action: HorizonAction, user: string | null): Promise<{ rows: number; peers: string[] }> {
  const { peers, tables } = await localOnlyRows(database);
  let rows = 0;
  for (const entry of tables) {
    const table = database.requireTable(entry.table);
    for (let i = 0; i < entry.keys.length; i += RESOLVE_BATCH) {
      const batch = entry.keys.slice(i, i + RESOLVE_BATCH);
      rows += await database.transact((tx) => {
        if (action === 'drop') return deleteRecords(tx, table, batch).deleted.length;
        let written = 0;
        for (const key of batch) {
          const stored = table.getStored(key);
          if (!stored) continue;
          const record: DataRecord = Object.assign({}, stored.r);
          record[UPDATED_TIME] = Date.now();
          table.writeRecord(key, record, tx.version, tx.origin, stored);
          tx.logWrite({ t: table.name, k: key, r: record });
          written++;
        }
        return written;
      }, { user });
    }
  }
  await resume(database, peers);
  return { rows, peers };
}
