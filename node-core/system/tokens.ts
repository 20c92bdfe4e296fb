/**
 * Operation and refresh tokens (`create_authentication_tokens`, `refresh_operation_token`):
 * HMAC-SHA256 signed JWTs. The signing secret lives in `<root>/keys/token-secret` (mode 0600).
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
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export class TokenIssuer {
  private constructor(
    private readonly secret: Buffer,
    private readonly lifetimeMs: Record<TokenKind, number>,
  ) {}

  static load(rootPath: string, lifetimeMs: Record<TokenKind, number>): TokenIssuer {
    const file = path.join(rootPath, 'keys', 'token-secret');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600 });
    return new TokenIssuer(Buffer.from(fs.readFileSync(file, 'utf8'), 'base64'), lifetimeMs);
  }

  issue(username: string, kind: TokenKind): string {
    const now = Date.now();
    const claims: TokenClaims = { sub: username, kind, iat: Math.floor(now / 1000), exp: Math.floor((now + this.lifetimeMs[kind]) / 1000) };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${this.#sign(body)}`;
  }

  /** The username a valid, unexpired token of `kind` was issued to, else undefined. */
  verify(token: string, kind: TokenKind): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.#sign(`${header}.${payload}`));
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
    return claims.sub;
  }

  #sign(body: string): string {
    return crypto.createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
