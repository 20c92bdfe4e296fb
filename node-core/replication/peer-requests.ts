/**
 * Requests a node makes of a linked peer and their answers (cluster_verify's digests today),
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kinds with different shapes
type AnyKind = PeerRequestKind<any, any>;

/** Every kind of peer request. Add a kind here. */
export const PEER_REQUESTS: readonly AnyKind[] = [VERIFY, ...REPAIR_REQUESTS];

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
