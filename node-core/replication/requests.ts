/**
 * The peer requests that cluster_verify repair (replication/repair.ts) and the tombstone horizon
 * (replication/horizon-rows.ts) make of a linked node, as kinds of the peer-request table
 * (peer-requests.ts): record and tombstone stamps a page at a time, current records of given
 * keys, a logged merge under the conflict rule, and which keys the peer has no trace of. Every
 * parameter and answer is checked by its schema before it touches data.
 */
import { copiedEntry, MAX_HOLDERS } from './stubs.ts';
import { z } from 'zod';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { haltRecord } from './horizon.ts';
import { mergeLogged, type CopiedRecord, type MergeOutcome } from './merge.ts';
import type { PeerRequestKind, RequestContext } from './peer-requests.ts';
import { ProtocolError } from './protocol.ts';

/** What a node lists in its hello `features` when it answers these requests (older nodes would close the link on one). */
export const REQUESTS_FEATURE = 'requests';
export const REQUEST_TIMEOUT_MS = 30_000;
/** Keys or records per request or answer page. */
export const REQUEST_PAGE_SIZE = 5_000;

const primaryKey = z.union([z.string().max(1000), z.number()]);
const tableName = z.string().min(1).max(128);
const keyList = z.array(primaryKey).max(REQUEST_PAGE_SIZE);
const origin = z.string().min(1).max(255);
const copiedRecord = z.record(z.string(), z.unknown()).nullable();
/** A fifth element (sharded tables, SPEC 4.10) lists the record's holders; with it a null record is a stub. */
const copied = z.union([
  z.tuple([primaryKey, z.number(), origin, copiedRecord]),
  z.tuple([primaryKey, z.number(), origin, copiedRecord, z.array(origin).max(MAX_HOLDERS)]),
]);
const stamp = z.tuple([primaryKey, z.number(), origin]);

export type Stamp = [PrimaryKey, number, string];

function replicated(context: RequestContext, name: string): Table {
  const table = context.database.table(name);
  if (!table || !table.definition.replicate) throw new ProtocolError(`no replicated table '${context.database.name}.${name}'`);
  return table;
}

/** (key, version, origin) of records or tombstones, a page after `after`. */
export const STAMPS = {
  request: 'stamps',
  response: 'stamps-result',
  timeoutMs: REQUEST_TIMEOUT_MS,
  requestSchema: z.object({ table: tableName, kind: z.enum(['records', 'tombstones']), after: primaryKey.nullable() }),
  responseSchema: z.object({ entries: z.array(stamp).max(REQUEST_PAGE_SIZE), more: z.boolean() }),
  answer: ({ table, kind, after }, context) => {
    const found = replicated(context, table);
    const store = kind === 'records' ? found.stores.records : found.stores.tombstones;
    const entries: Stamp[] = [];
    for (const { key, value } of store.getRange(after === null ? {} : { start: after })) {
      if (after !== null && key === after) continue;
      if (entries.length >= REQUEST_PAGE_SIZE) return { entries, more: true };
      entries.push([key as PrimaryKey, value.v, value.o]);
    }
    return { entries, more: false };
  },
} satisfies PeerRequestKind<{ table: string; kind: 'records' | 'tombstones'; after: PrimaryKey | null }, { entries: Stamp[]; more: boolean }>;

/** The current record or tombstone of each key (absent keys left out). */
export const FETCH = {
  request: 'fetch',
  response: 'fetch-result',
  timeoutMs: REQUEST_TIMEOUT_MS,
  requestSchema: z.object({ table: tableName, keys: keyList }),
  responseSchema: z.object({ records: z.array(copied).max(REQUEST_PAGE_SIZE) }),
  answer: ({ table, keys }, context) => {
    const found = replicated(context, table);
    return {
      records: keys.flatMap((key): CopiedRecord[] => {
        const entry = copiedEntry(found, key);
        return entry ? [entry] : [];
      }),
    };
  },
} satisfies PeerRequestKind<{ table: string; keys: PrimaryKey[] }, { records: CopiedRecord[] }>;

/** Merge records and tombstones under the conflict rule, logged so they relay. */
export const MERGE = {
  request: 'merge',
  response: 'merge-result',
  timeoutMs: REQUEST_TIMEOUT_MS,
  requestSchema: z.object({ table: tableName, records: z.array(copied).max(REQUEST_PAGE_SIZE) }),
  responseSchema: z.object({ written: keyList, deleted: keyList, tombstones: z.number().int().min(0) }),
  answer: async ({ table, records }, context) => {
    replicated(context, table);
    if (!context.subscribes?.(table)) throw new ProtocolError(`this node does not take '${table}' from you`);
    // Halted at a tombstone horizon: nothing merges until the user decided (horizon.ts).
    if (haltRecord(context.database)) throw new ProtocolError(`replication of '${context.database.name}' is halted here at a tombstone horizon`);
    if (!context.clock) throw new ProtocolError('this link cannot merge (no clock)');
    return mergeLogged(context.database, context.clock, table, records as CopiedRecord[]);
  },
} satisfies PeerRequestKind<{ table: string; records: CopiedRecord[] }, MergeOutcome>;

/** The keys this node holds neither a record nor a tombstone of. */
export const ABSENT = {
  request: 'absent',
  response: 'absent-result',
  timeoutMs: REQUEST_TIMEOUT_MS,
  requestSchema: z.object({ table: tableName, keys: keyList }),
  responseSchema: z.object({ keys: keyList }),
  answer: ({ table, keys }, context) => {
    const found = replicated(context, table);
    return { keys: keys.filter((key) => !found.getStored(key) && !found.getTombstone(key)) };
  },
} satisfies PeerRequestKind<{ table: string; keys: PrimaryKey[] }, { keys: PrimaryKey[] }>;

export const REPAIR_REQUESTS = [STAMPS, FETCH, MERGE, ABSENT] as const;
