/**
 * Operation and refresh tokens (`create_authentication_tokens`, `refresh_operation_token`):
 * HMAC-SHA256 signed JWTs. The signing secret lives in `<root>/keys/token-secret` (mode 0600).
 * Each token carries its user's secret generation (`gen`): a password change or a drop gives the
 * user a new one, so tokens issued before stop verifying (SPEC 3 "tokens die with a password
 * change"), and a user added again under a dropped name never inherits the old user's tokens.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TokenKind = 'operation' | 'refresh';

interface TokenClaims {
  sub: string;
  kind: TokenKind;
  iat: number;
  exp: number;
  /** the user's token generation when issued ('' for users that have none yet) */
  gen: string;
}

/** The current token generation of a user, undefined when there is no such user. */
export type GenerationOf = (username: string) => string | undefined;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** Tokens signed with the process key say so, so verification picks the right key. */
const EPHEMERAL_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'process' })).toString('base64url');

export interface IssueOptions {
  /**
   * Sign with a key that lives only in this process: the token dies with the node (the desktop
   * app's per-launch token), whatever its expiry says.
   */
  ephemeral?: boolean;
  /** shorter than the configured lifetime, never longer */
  lifetimeMs?: number;
}

export class TokenIssuer {
  readonly #processSecret = crypto.randomBytes(32);

  private constructor(
    private readonly secret: Buffer,
    private readonly lifetimeMs: Record<TokenKind, number>,
    private readonly generationOf: GenerationOf,
  ) {}

  /** `generationOf` defaults to "every user has generation ''" (tools and tests without users). */
  static load(rootPath: string, lifetimeMs: Record<TokenKind, number>, generationOf: GenerationOf = () => ''): TokenIssuer {
    const file = path.join(rootPath, 'keys', 'token-secret');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600 });
    return new TokenIssuer(Buffer.from(fs.readFileSync(file, 'utf8'), 'base64'), lifetimeMs, generationOf);
  }

  issue(username: string, kind: TokenKind, options: IssueOptions = {}): string {
    const now = Date.now();
    const lifetime = Math.min(this.lifetimeMs[kind], options.lifetimeMs ?? Infinity);
    const gen = this.generationOf(username) ?? '';
    const claims: TokenClaims = { sub: username, kind, iat: Math.floor(now / 1000), exp: Math.floor((now + lifetime) / 1000), gen };
    const header = options.ephemeral ? EPHEMERAL_HEADER : HEADER;
    const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${this.#sign(body, options.ephemeral ? this.#processSecret : this.secret)}`;
  }

  /**
   * The username a valid, unexpired token of `kind` was issued to, while that user's token
   * generation is still the one in the token; else undefined.
   */
  verify(token: string, kind: TokenKind): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.#sign(`${header}.${payload}`, header === EPHEMERAL_HEADER ? this.#processSecret : this.secret));
    const actual = Buffer.from(signature);
    if (actual.length !== expected.length || !crypto.timingSafeEqual(actual, expected)) return undefined;
    let claims: Partial<TokenClaims>;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<TokenClaims>;
    } catch {
      return undefined;
    }
    if (claims.kind !== kind || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    if (claims.exp * 1000 <= Date.now()) return undefined;
    const current = this.generationOf(claims.sub);
    if (current === undefined || (claims.gen ?? '') !== current) return undefined;
    return claims.sub;
  }

  #sign(body: string, secret: Buffer): string {
    return crypto.createHmac('sha256', secret).update(body).digest('base64url');
  }
}
