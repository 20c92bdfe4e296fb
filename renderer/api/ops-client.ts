/**
 * The renderer's one operations API client (SPEC 2): POSTs `{operation, ...}` to one node over
 * a transport, with Basic credentials or a Bearer operation token. An expired operation token
 * is renewed once with the refresh token (refresh_operation_token) and the request retried.
 * Every failure is thrown as an OpsError naming the operation and the node.
 */
import { OpsError } from './errors.ts';
import { defaultTransport, TransportError, type Transport } from './transport.ts';

export type OpsAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; operationToken: string; refreshToken?: string | undefined };

export interface Tokens {
  operationToken: string;
  refreshToken?: string | undefined;
}

export interface OpsClientOptions {
  /** the connection this client speaks for (first element of every query key) */
  connectionId: string;
  /** how errors name the node, e.g. "Staging (https://db.example.com:9925)" */
  nodeLabel: string;
  /** the node's operations API URL; '' means the origin that served this page */
  baseUrl: string;
  auth: OpsAuth;
  transport?: Transport;
  /** per-request timeout */
  timeoutMs?: number;
  /** called after the operation token was renewed, so the session can keep the new one */
  onTokens?: (tokens: Tokens) => void;
  /** renews the operation token another way than refresh_operation_token (the desktop app's local node) */
  renew?: () => Promise<Tokens>;
  /** a saved connection id the transport applies TLS trust for (desktop app) */
  transportConnectionId?: string;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Renew a token this long before its `exp`, so a request does not race the expiry. */
const TOKEN_EXPIRY_MARGIN_MS = 30_000;

/** `btoa` only takes Latin-1; encode as UTF-8 first so any password works. */
function basicAuth(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** The `exp` of a JWT in ms, or null when it is not a readable JWT. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** A URL as the operations endpoint: no trailing slash duplication, '' = this origin. */
export function endpointOf(baseUrl: string): string {
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}/` : '/';
}

export class OpsClient {
  readonly connectionId: string;
  readonly nodeLabel: string;
  readonly baseUrl: string;
  #auth: OpsAuth;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #onTokens: ((tokens: Tokens) => void) | undefined;
  readonly #renew: (() => Promise<Tokens>) | undefined;
  readonly #transportConnectionId: string | undefined;
  #refreshing: Promise<void> | null = null;

  constructor(options: OpsClientOptions) {
    this.connectionId = options.connectionId;
    this.nodeLabel = options.nodeLabel;
    this.baseUrl = options.baseUrl;
    this.#auth = options.auth;
    this.#transport = options.transport ?? defaultTransport();
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onTokens = options.onTokens;
    this.#renew = options.renew;
    this.#transportConnectionId = options.transportConnectionId;
  }

  get transportKind(): Transport['kind'] {
    return this.#transport.kind;
  }

  /** Runs one operation and returns the node's JSON answer. */
  async call<Response>(operation: string, fields: object = {}, options: CallOptions = {}): Promise<Response> {
    const auth = this.#auth;
    if (auth.kind === 'token' && this.#canRenew() && this.#expiresSoon(auth.operationToken)) {
      await this.#refresh(operation, options);
    }
    const sentWith = this.#authorization();
    try {
      return await this.#send<Response>(operation, fields, sentWith, options);
    } catch (error) {
      const expired = error instanceof OpsError && error.status === 401 && this.#canRenew();
      if (!expired || operation === 'refresh_operation_token') throw error;
      // Renew unless a concurrent call already did while this one was in flight.
      if (this.#authorization() === sentWith) await this.#refresh(operation, options);
      return this.#send<Response>(operation, fields, this.#authorization(), options);
    }
  }

  #canRenew(): boolean {
    const auth = this.#auth;
    return auth.kind === 'token' && (this.#renew !== undefined || !!auth.refreshToken);
  }

  #expiresSoon(token: string): boolean {
    const expiry = tokenExpiry(token);
    return expiry !== null && expiry - TOKEN_EXPIRY_MARGIN_MS < Date.now();
  }

  #authorization(): string | null {
    const auth = this.#auth;
    if (auth.kind === 'basic') return basicAuth(auth.username, auth.password);
    if (auth.kind === 'token') return `Bearer ${auth.operationToken}`;
    return null;
  }

  /** One renewal at a time; concurrent callers wait for it. */
  #refresh(operation: string, options: CallOptions): Promise<void> {
    this.#refreshing ??= (async () => {
      const auth = this.#auth;
      if (auth.kind !== 'token') return;
      if (this.#renew) {
        let tokens: Tokens;
        try {
          tokens = await this.#renew();
        } catch (error) {
          throw new OpsError(operation, this.nodeLabel, 'http', `the session expired and could not be renewed: ${(error as Error)?.message ?? String(error)}`, 401);
        }
        this.#auth = { kind: 'token', operationToken: tokens.operationToken, refreshToken: tokens.refreshToken };
        this.#onTokens?.(tokens);
        return;
      }
      if (!auth.refreshToken) return;
      try {
        const answer = await this.#send<{ operation_token: string }>(
          'refresh_operation_token',
          { refresh_token: auth.refreshToken },
          null,
          { timeoutMs: options.timeoutMs ?? this.#timeoutMs },
        );
        this.#auth = { kind: 'token', operationToken: answer.operation_token, refreshToken: auth.refreshToken };
        this.#onTokens?.({ operationToken: answer.operation_token, refreshToken: auth.refreshToken });
      } catch (error) {
        if (error instanceof OpsError && error.status === 401) {
          // Report it as the caller's operation: its session is what ran out.
          throw new OpsError(operation, this.nodeLabel, 'http', 'the session expired and could not be renewed', 401);
        }
        throw error;
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #send<Response>(operation: string, fields: object, authorization: string | null, options: CallOptions): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (authorization) headers.Authorization = authorization;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.#transport.send({
        url: endpointOf(this.baseUrl),
        headers,
        body: JSON.stringify({ ...fields, operation }),
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
        signal: options.signal,
        connectionId: this.#transportConnectionId,
      }));
    } catch (error) {
      if (error instanceof TransportError) throw new OpsError(operation, this.nodeLabel, error.failure, error.detail);
      throw new OpsError(operation, this.nodeLabel, 'network', String((error as Error)?.message ?? error));
    }
    let body: unknown;
    let parsed = false;
    try {
      body = text ? JSON.parse(text) : undefined;
      parsed = text !== '';
    } catch {
      // reported below with the start of the raw text
    }
    const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 120) || 'empty body';
    if (status < 200 || status >= 300) {
      if (!parsed) throw new OpsError(operation, this.nodeLabel, status === 0 ? 'network' : 'http', snippet, status);
      const error = body && typeof body === 'object' ? (body as Record<string, unknown>).error ?? (body as Record<string, unknown>).message : body;
      const message = typeof error === 'string' ? error : error === undefined ? snippet : JSON.stringify(error);
      throw new OpsError(operation, this.nodeLabel, 'http', message, status);
    }
    if (!parsed) throw new OpsError(operation, this.nodeLabel, 'bad-json', snippet, status);
    return body as Response;
  }
}
