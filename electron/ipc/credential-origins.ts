/**
 * Where main lets a credential go (issue 10, item 1): an Authorization header is forwarded only
 * to an origin the user saved or typed for it. That is: the origin of the saved connection the
 * request names (the handler checks the URL against it), the embedded node's own origin, or the
 * origin that issued the very token being sent (the user typed a password there and this channel
 * carried the answer: "Test connection", "Log in to all members"). Anything else, a Basic
 * password or a token to a host some node's record names, is refused before a byte is sent.
 */
import { PeerdeskError } from './contract.ts';

/** Tokens remembered per window lifetime; the oldest is forgotten past this (a token is ~300 bytes). */
export const ISSUED_TOKENS_MAX = 512;

/** Operations whose answer carries tokens issued by the node asked. */
const ISSUING_OPERATIONS: ReadonlySet<string> = new Set(['create_authentication_tokens', 'refresh_operation_token']);

export function originOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function authorizationOf(headers: Readonly<Record<string, string>> | undefined): string | null {
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() === 'authorization') return value;
  return null;
}

function bearerToken(authorization: string): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match ? match[1]! : null;
}

function operationOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' && typeof (parsed as { operation?: unknown }).operation === 'string' ? (parsed as { operation: string }).operation : null;
  } catch {
    return null;
  }
}

export interface CredentialRequest {
  url: string;
  body: string;
  headers?: Readonly<Record<string, string>> | undefined;
  /** set when the handler has checked `url` against a saved connection's origin */
  savedConnection: boolean;
}

export class CredentialOrigins {
  /** token → origin that issued it, oldest first */
  readonly #issued = new Map<string, string>();

  constructor(private readonly localNodeUrl: () => string | null) {}

  /** Throws CREDENTIAL_REFUSED when the request carries a credential its URL was not chosen for. */
  check(request: CredentialRequest): void {
    const authorization = authorizationOf(request.headers);
    if (authorization === null || request.savedConnection) return;
    const origin = originOf(request.url);
    if (origin !== null && origin === originOf(this.localNodeUrl())) return;
    const token = bearerToken(authorization);
    if (token !== null && origin !== null && this.#issued.get(token) === origin) return;
    throw new PeerdeskError(
      'CREDENTIAL_REFUSED',
      `A credential is sent only to the origin it was saved or typed for; ${origin ?? request.url} is not one (save a connection for it, or log in there)`,
    );
  }

  /** Remembers the tokens an issuing operation's answer carries, as issued by the URL's origin. */
  observe(request: { url: string; body: string }, response: { status: number; body: string }): void {
    if (response.status !== 200) return;
    const operation = operationOf(request.body);
    const origin = originOf(request.url);
    if (!operation || !ISSUING_OPERATIONS.has(operation) || !origin) return;
    let answer: unknown;
    try {
      answer = JSON.parse(response.body);
    } catch {
      return;
    }
    if (!answer || typeof answer !== 'object') return;
    const { operation_token: token } = answer as { operation_token?: unknown };
    if (typeof token !== 'string' || !token) return;
    this.#issued.delete(token);
    this.#issued.set(token, origin);
    while (this.#issued.size > ISSUED_TOKENS_MAX) this.#issued.delete(this.#issued.keys().next().value!);
  }
}
