/**
 * cluster_verify repair (SPEC 4.11) with one linked peer, one table: compare every (key,
 * version, origin) of records and tombstones on both sides, pull what the peer holds that wins
 * here, push what wins there. Both go through mergeLogged (replication/merge.ts): ordinary
 * logged writes under their original version and origin, so they relay to every node, and a
 * tombstone takes part like a record, so a repair never brings a deleted row back.
 */
import { copiedEntry } from './stubs.ts';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { wins } from './conflict.ts';
import type { Link } from './link.ts';
import { mergeLogged, type CopiedRecord, type MergeOutcome } from './merge.ts';
import { FETCH, MERGE, REQUEST_PAGE_SIZE, STAMPS, type Stamp } from './requests.ts';

/** Keys listed per kind in a repair report (the counts are always complete). */
export const REPORTED_KEYS_MAX = 1_000;

export interface RepairReport {
  records_pulled: number;
  records_pushed: number;
  /** records removed by a winning tombstone, here or on the peer */
  deletes_applied: number;
  keys: { pulled: PrimaryKey[]; pushed: PrimaryKey[]; deleted: PrimaryKey[] };
}

export function emptyReport(): RepairReport {
  return { records_pulled: 0, records_pushed: 0, deletes_applied: 0, keys: { pulled: [], pushed: [], deleted: [] } };
}

interface Side {
  key: PrimaryKey;
  v: number;
  o: string;
}

const id = (key: PrimaryKey) => JSON.stringify(key);

/** Every record and tombstone stamp the peer holds for the table. */
async function peerStamps(link: Link, table: string): Promise<Map<string, Side>> {
  const stamps = new Map<string, Side>();
  for (const kind of ['records', 'tombstones'] as const) {
    let after: PrimaryKey | null = null;
    for (;;) {
      const page: { entries: Stamp[]; more: boolean } = await link.request(STAMPS, { table, kind, after });
      for (const [key, v, o] of page.entries) stamps.set(id(key), { key, v, o });
      if (!page.more || page.entries.length === 0) break;
      after = page.entries[page.entries.length - 1]![0];
    }
  }
  return stamps;
}

/** Sharded records go with their holders, so a peer that is not one keeps a stub (SPEC 4.10). */
const localEntry = (table: Table, key: PrimaryKey): CopiedRecord | null => copiedEntry(table, key);

function addOutcome(report: RepairReport, outcome: MergeOutcome, direction: 'pulled' | 'pushed'): void {
  const count = direction === 'pulled' ? 'records_pulled' : 'records_pushed';
  report[count] += outcome.written.length;
  report.deletes_applied += outcome.deleted.length;
  const room = (list: PrimaryKey[]) => Math.max(0, REPORTED_KEYS_MAX - list.length);
  report.keys[direction].push(...outcome.written.slice(0, room(report.keys[direction])));
  report.keys.deleted.push(...outcome.deleted.slice(0, room(report.keys.deleted)));
}

/** Repair `table` with the peer across `link`; adds what changed on either side to `report`. */
export async function repairTable(
  link: Link,
  table: Table,
  clock: HybridLogicalClock,
  allowed: { pull: boolean; push: boolean },
  report: RepairReport,
): Promise<void> {
  const theirs = await peerStamps(link, table.name);
  const pull: PrimaryKey[] = [];
  const push: CopiedRecord[] = [];
  const seen = new Set<string>();
  const compare = (mine: CopiedRecord) => {
    const key = id(mine[0]);
    seen.add(key);
    const other = theirs.get(key);
    const local = { v: mine[1], o: mine[2] };
    if (!other || wins(local, other)) push.push(mine);
    else if (wins(other, local)) pull.push(other.key);
  };
  for (const { key, stored } of table.scan()) compare([key, stored.v, stored.o, stored.r]);
  for (const { key, value } of table.stores.tombstones.getRange({})) if (!seen.has(id(key as PrimaryKey))) compare([key as PrimaryKey, value.v, value.o, null]);
  for (const [key, other] of theirs) if (!seen.has(key)) pull.push(other.key);

  if (allowed.pull) {
    for (let i = 0; i < pull.length; i += REQUEST_PAGE_SIZE) {
      const { records } = await link.request(FETCH, { table: table.name, keys: pull.slice(i, i + REQUEST_PAGE_SIZE) });
      addOutcome(report, await mergeLogged(link.database, clock, table.name, records), 'pulled');
    }
  }
  if (allowed.push) {
    for (let i = 0; i < push.length; i += REQUEST_PAGE_SIZE) {
      // Re-read: what was compared may have changed since (a later write is what goes).
      const records = push.slice(i, i + REQUEST_PAGE_SIZE).map(([key]) => localEntry(table, key)).filter((r): r is CopiedRecord => r !== null);
      addOutcome(report, await link.request(MERGE, { table: table.name, records }), 'pushed');
    }
  }
}
