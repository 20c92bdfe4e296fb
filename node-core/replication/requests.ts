/**
 * Requests between linked nodes (protocol RequestMessage / ResponseMessage): the pending side
 * (ids, timeouts, rejection when the link closes) and the answering side, a small fixed set of
 * read and merge methods that cluster_verify repair (replication/repair.ts) and the tombstone
 * horizon (replication/horizon.ts) use. Every parameter is checked before it touches data.
 */
import { z } from 'zod';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database } from '../storage/database.ts';
import type { Table } from '../storage/table.ts';
import type { DataRecord, PrimaryKey } from '../storage/types.ts';
import { haltRecord } from './horizon.ts';
import { mergeLogged, type CopiedRecord } from './merge.ts';
import { ProtocolError, type RequestMessage, type RequestMethod, type ResponseMessage } from './protocol.ts';

export const REQUEST_TIMEOUT_MS = 30_000;
/** What a node lists in its hello `features` when it answers requests (older nodes would close the link on one). */
export const REQUESTS_FEATURE = 'requests';
/** Keys or records per request or answer page. */
export const REQUEST_PAGE_SIZE = 5_000;

export class PendingRequests {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly send: (message: RequestMessage) => void,
    private readonly peer: () => string,
  ) {}

  request(method: RequestMethod, params: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`'${this.peer()}' did not answer '${method}' within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      this.send({ t: 'request', id, method, params });
    });
  }

  settle(message: ResponseMessage): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error !== undefined) pending.reject(new Error(`'${this.peer()}': ${message.error}`));
    else pending.resolve(message.result);
  }

  rejectAll(reason: string): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`link to '${this.peer()}' closed: ${reason}`));
    }
    this.#pending.clear();
  }
}

const primaryKey = z.union([z.string().max(1000), z.number()]);
const tableName = z.string().min(1).max(128);
const keys = z.array(primaryKey).max(REQUEST_PAGE_SIZE);
const copied = z.tuple([primaryKey, z.number(), z.string().min(1).max(255), z.record(z.string(), z.unknown()).nullable()]);

export const requestParams = {
  /** (key, version, origin) of records or tombstones, a page after `after` */
  stamps: z.object({ table: tableName, kind: z.enum(['records', 'tombstones']), after: primaryKey.nullable() }),
  /** current record or tombstone of each key (absent keys left out) */
  fetch: z.object({ table: tableName, keys }),
  /** merge records and tombstones under the conflict rule, logged so they relay */
  merge: z.object({ table: tableName, records: z.array(copied).max(REQUEST_PAGE_SIZE) }),
  /** the keys this node holds neither a record nor a tombstone of */
  absent: z.object({ table: tableName, keys }),
} satisfies Record<RequestMethod, z.ZodType>;

export type Stamp = [PrimaryKey, number, string];
export interface StampsPage {
  entries: Stamp[];
  more: boolean;
}

export interface RequestContext {
  database: Database;
  clock: HybridLogicalClock;
  /** this node takes writes of `table` from the asking peer */
  accepts(table: string): boolean;
}

/** Answer a peer's request; any failure becomes the response's error (the link stays up). */
export async function answerRequest(message: RequestMessage, context: RequestContext): Promise<ResponseMessage> {
  try {
    return { t: 'response', id: message.id, result: await answer(message.method, message.params, context) };
  } catch (error) {
    return { t: 'response', id: message.id, error: (error as Error).message.slice(0, 500) };
  }
}

async function answer(method: RequestMethod, raw: unknown, context: RequestContext): Promise<unknown> {
  const { database } = context;
  const replicated = (name: string): Table => {
    const table = database.table(name);
    if (!table || !table.definition.replicate) throw new ProtocolError(`no replicated table '${database.name}.${name}'`);
    return table;
  };
  switch (method) {
    case 'stamps': {
      const params = requestParams.stamps.parse(raw);
      return stampsPage(replicated(params.table), params.kind, params.after);
    }
    case 'fetch': {
      const params = requestParams.fetch.parse(raw);
      const table = replicated(params.table);
      return params.keys.flatMap((key): CopiedRecord[] => {
        const stored = table.getStored(key);
        if (stored) return [[key, stored.v, stored.o, stored.r]];
        const tombstone = table.getTombstone(key);
        return tombstone ? [[key, tombstone.v, tombstone.o, null]] : [];
      });
    }
    case 'merge': {
      const params = requestParams.merge.parse(raw);
      replicated(params.table);
      if (!context.accepts(params.table)) throw new ProtocolError(`this node does not take '${params.table}' from you`);
      // Halted at a tombstone horizon: nothing merges until the user decided (horizon.ts).
      if (haltRecord(database)) throw new ProtocolError(`replication of '${database.name}' is halted here at a tombstone horizon`);
      return mergeLogged(database, context.clock, params.table, params.records as CopiedRecord[]);
    }
    case 'absent': {
      const params = requestParams.absent.parse(raw);
      const table = replicated(params.table);
      return params.keys.filter((key) => !table.getStored(key) && !table.getTombstone(key));
    }
  }
}

function stampsPage(table: Table, kind: 'records' | 'tombstones', after: PrimaryKey | null): StampsPage {
  const store = kind === 'records' ? table.stores.records : table.stores.tombstones;
  const entries: Stamp[] = [];
  for (const { key, value } of store.getRange(after === null ? {} : { start: after })) {
    if (after !== null && key === after) continue;
    if (entries.length >= REQUEST_PAGE_SIZE) return { entries, more: true };
    entries.push([key as PrimaryKey, value.v, value.o]);
  }
  return { entries, more: false };
}

export type { DataRecord };
