/**
 * Requests a node makes of a linked peer and their answers (cluster_verify's digests; sharded
 * reads of records held elsewhere, searches there, and record counts for describe_table),
 * plugged in through one table: each kind names its request and response message types, checks
 * both with a schema, says how long to wait, and answers the peer's request. A new kind is one
 * entry in PEER_REQUESTS; the link (PeerRequests below) sends, matches answers by id, times out,
 * and rejects what is pending when it closes. An answer that throws goes back as `{error}` and
 * fails that request only.
 */
import { z } from 'zod';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database } from '../storage/database.ts';
import { ProtocolError, type Message, type MessageChecks, type PeerRequestMessage, type TableDigest } from './protocol.ts';
import { REPAIR_REQUESTS } from './requests.ts';
import { tableDigest } from './verify.ts';
import { search, type ConditionGroup } from '../storage/search.ts';
import type { PrimaryKey } from '../storage/types.ts';

/** What answering a request may use: the link's database, peer, clock and subscription policy. */
export interface RequestContext {
  readonly database: Database;
  readonly peer: string;
  readonly clock?: HybridLogicalClock;
  /** this node applies writes of `table` from the peer (for requests that write) */
  subscribes?(table: string): boolean;
}

export interface PeerRequestKind<Request extends object, Response extends object> {
  /** message type of the request; the response's is `${request}-result` */
  readonly request: string;
  readonly response: string;
  readonly timeoutMs: number;
  readonly requestSchema: z.ZodType<Request>;
  readonly responseSchema: z.ZodType<Response>;
  answer(request: Request, context: RequestContext): Promise<Response> | Response;
}

const digestSchema = z.object({ table: z.string().max(128), record_count: z.number().int().min(0), digest: z.string().max(128) });

/** cluster_verify: the peer's digest of each named table it has. */
export const VERIFY = {
  request: 'verify',
  response: 'verify-result',
  timeoutMs: 30_000,
  requestSchema: z.object({ tables: z.array(z.string().max(128)).max(10_000) }),
  responseSchema: z.object({ results: z.array(digestSchema).max(10_000) }),
  answer: ({ tables }, { database }) => ({
    results: tables.flatMap((name): TableDigest[] => {
      const table = database.table(name);
      return table ? [tableDigest(table)] : [];
    }),
  }),
} satisfies PeerRequestKind<{ tables: string[] }, { results: TableDigest[] }>;

const primaryKey = z.union([z.string().max(1_000), z.number()]);
/** Keys asked for in one fetch at most (a reader asks again for more). */
export const MAX_FETCH_KEYS = 1_000;
/** Records one search answer carries at most (larger answers fail that request: the reader says so). */
export const MAX_SEARCH_ANSWER_RECORDS = 100_000;
const heldRecord = z.tuple([primaryKey, z.number(), z.string().max(255), z.record(z.string(), z.unknown())]);
export type HeldRecord = z.infer<typeof heldRecord>;

function requireTable(database: Database, name: string) {
  const table = database.table(name);
  if (!table) throw new Error(`table '${database.name}.${name}' does not exist on this node`);
  return table;
}

/** Sharded reads (SPEC 4.10): the records of `keys` this node holds (absent keys: not held here). */
export const FETCH_RECORDS = {
  request: 'fetch-records',
  response: 'fetch-records-result',
  timeoutMs: 5_000,
  requestSchema: z.object({ table: z.string().max(128), keys: z.array(primaryKey).max(MAX_FETCH_KEYS) }),
  responseSchema: z.object({ records: z.array(heldRecord).max(MAX_FETCH_KEYS) }),
  answer: ({ table, keys }, { database }) => {
    const source = requireTable(database, table);
    return {
      records: keys.flatMap((key): HeldRecord[] => {
        const stored = source.getStored(key);
        return stored ? [[key, stored.v, stored.o, stored.r]] : [];
      }),
    };
  },
} satisfies PeerRequestKind<{ table: string; keys: PrimaryKey[] }, { records: HeldRecord[] }>;

/** Sharded searches: the records held here that match `where` (a condition group, checked by search). */
export const SEARCH_RECORDS = {
  request: 'search-records',
  response: 'search-records-result',
  timeoutMs: 10_000,
  requestSchema: z.object({ table: z.string().max(128), where: z.record(z.string(), z.unknown()) }),
  responseSchema: z.object({ records: z.array(heldRecord).max(MAX_SEARCH_ANSWER_RECORDS) }),
  answer: ({ table, where }, { database }) => {
    const source = requireTable(database, table);
    const { records } = search(source, where as unknown as ConditionGroup, {});
    if (records.length > MAX_SEARCH_ANSWER_RECORDS) throw new Error(`more than ${MAX_SEARCH_ANSWER_RECORDS} records match`);
    return {
      records: records.flatMap((record): HeldRecord[] => {
        const key = record[source.primaryKey] as PrimaryKey;
        const stored = source.getStored(key);
        return stored ? [[key, stored.v, stored.o, stored.r]] : [];
      }),
    };
  },
} satisfies PeerRequestKind<{ table: string; where: Record<string, unknown> }, { records: HeldRecord[] }>;

/** describe_table and cluster_status: how many records of a table this node stores, and how many it knows of. */
export const RECORD_COUNT = {
  request: 'record-count',
  response: 'record-count-result',
  timeoutMs: 5_000,
  requestSchema: z.object({ table: z.string().max(128) }),
  responseSchema: z.object({ record_count: z.number().int().min(0), stub_count: z.number().int().min(0) }),
  answer: ({ table }, { database }) => {
    const source = requireTable(database, table);
    return { record_count: source.recordCount(), stub_count: source.stubCount() };
  },
} satisfies PeerRequestKind<{ table: string }, { record_count: number; stub_count: number }>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kinds with different shapes
type AnyKind = PeerRequestKind<any, any>;

/** Every kind of peer request. Add a kind here. */
export const PEER_REQUESTS: readonly AnyKind[] = [VERIFY, ...REPAIR_REQUESTS, FETCH_RECORDS, SEARCH_RECORDS, RECORD_COUNT];

function checked(kind: AnyKind, schema: z.ZodType<object>, message: Record<string, unknown> & { t: string }): Message {
  if (typeof message.id !== 'number' || !Number.isSafeInteger(message.id)) throw new ProtocolError(`bad ${message.t}: no id`);
  const parsed = schema.safeParse(message);
  if (!parsed.success) throw new ProtocolError(`bad ${message.t}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return { ...parsed.data, t: message.t, id: message.id } as PeerRequestMessage;
}

/** Largest error text an answer carries back. */
const MAX_ANSWER_ERROR_CHARS = 1_000;
const errorAnswer = z.object({ error: z.string().max(MAX_ANSWER_ERROR_CHARS) });

/** The checks `decode` applies to request and response messages (a response may be `{error}` instead). */
export const PEER_MESSAGE_CHECKS: MessageChecks = new Map([
  ...PEER_REQUESTS.map((kind) => [kind.request, (m: Record<string, unknown> & { t: string }) => checked(kind, kind.requestSchema, m)] as const),
  ...PEER_REQUESTS.map(
    (kind) => [kind.response, (m: Record<string, unknown> & { t: string }) => checked(kind, m.error !== undefined ? errorAnswer : kind.responseSchema, m)] as const,
  ),
]);

interface Pending {
  kind: AnyKind;
  resolve: (response: object) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One link's outstanding requests to its peer. */
export class PeerRequests {
  readonly #pending = new Map<number, Pending>();
  readonly #byRequest: ReadonlyMap<string, AnyKind>;
  readonly #byResponse: ReadonlyMap<string, AnyKind>;
  #nextId = 1;

  constructor(
    private readonly context: RequestContext,
    private readonly send: (message: PeerRequestMessage) => void,
    kinds: readonly AnyKind[] = PEER_REQUESTS,
  ) {
    this.#byRequest = new Map(kinds.map((kind) => [kind.request, kind]));
    this.#byResponse = new Map(kinds.map((kind) => [kind.response, kind]));
  }

  /** Whether `type` is a request or response of some kind. */
  handles(type: string): boolean {
    return this.#byRequest.has(type) || this.#byResponse.has(type);
  }

  ask<Request extends object, Response extends object>(kind: PeerRequestKind<Request, Response>, request: Request): Promise<Response> {
    const id = this.#nextId++;
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`'${this.context.peer}' did not answer ${kind.request} within ${kind.timeoutMs} ms`));
      }, kind.timeoutMs);
      timer.unref();
      this.#pending.set(id, { kind, resolve: resolve as (response: object) => void, reject, timer });
      this.send({ ...request, t: kind.request, id });
    });
  }

  /** A request or response from the peer (already checked by decode). */
  async receive(message: PeerRequestMessage): Promise<void> {
    const asked = this.#byRequest.get(message.t);
    if (asked) {
      const { t: _t, id, ...request } = message;
      // A request this node cannot answer fails that request, not the link.
      let response: object;
      try {
        response = await asked.answer(request, this.context);
      } catch (error) {
        response = { error: (error instanceof Error ? error.message : String(error)).slice(0, MAX_ANSWER_ERROR_CHARS) };
      }
      this.send({ ...response, t: asked.response, id });
      return;
    }
    const pending = this.#pending.get(message.id);
    // An answer after its timeout (or to nothing asked) is dropped.
    if (!pending || pending.kind.response !== message.t) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    const { t: _t, id: _id, ...response } = message;
    if (typeof response.error === 'string') pending.reject(new Error(`'${this.context.peer}' could not answer ${pending.kind.request}: ${response.error}`));
    else pending.resolve(response);
  }

  /** The link closed: everything pending fails with `why`. */
  rejectAll(why: string): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(why));
    }
    this.#pending.clear();
  }
}
