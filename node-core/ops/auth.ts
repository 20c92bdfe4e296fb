/**
 * Authenticates a request from its Authorization header (Basic or Bearer operation token).
 * Password checks (Basic, and credentials in a create_authentication_tokens body) pass the login
 * rate limit, counted before they run (security/login-limiter.ts); bearer tokens are cheap to
 * verify and never limited, so a burst of wrong passwords cannot lock out a valid token.
 * Errors never say whether a user exists.
 */
import { unauthorized } from '../errors.ts';
import { LoginLimiter } from '../security/login-limiter.ts';
import type { TokenIssuer } from '../system/tokens.ts';
import type { User, UserStore } from '../system/users.ts';

export class Authenticator {
  readonly #limiter = new LoginLimiter();

  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenIssuer,
  ) {}

  async authenticate(header: string | undefined, clientAddress: string): Promise<User> {
    if (!header) throw unauthorized('Must login');
    const resolved = await this.#resolve(header, clientAddress);
    // A malformed header gets the reason; wrong credentials never say more than "Login failed".
    if (typeof resolved !== 'object') throw unauthorized(resolved ? `Login failed: ${resolved}` : 'Login failed');
    return resolved;
  }

  /** Credentials given in a request body (create_authentication_tokens). */
  async login(username: string, password: string, clientAddress: string): Promise<User> {
    const user = await this.#checkPassword(username, password, clientAddress);
    if (!user) throw unauthorized('Login failed');
    return user;
  }

  /** One rate-limited password check: reserved before scrypt runs, refunded when it succeeds. */
  async #checkPassword(username: string, password: string, clientAddress: string): Promise<User | undefined> {
    const ticket = this.#limiter.begin(username, clientAddress);
    let user: User | undefined;
    try {
      user = await this.users.authenticate(username, password);
    } finally {
      ticket.finish(user !== undefined);
    }
    return user;
  }

  /** The user, or why the header is refused ('' for wrong credentials: no detail). */
  async #resolve(header: string, clientAddress: string): Promise<User | string> {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      if (!value) return "Basic credentials are missing (expected 'Basic <base64 of username:password>')";
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return 'Basic credentials are not valid base64';
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return "Basic credentials must be the base64 of 'username:password'";
      return (await this.#checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1), clientAddress)) ?? '';
    }
    if (scheme === 'bearer') {
      const username = this.tokens.verify(value, 'operation');
      const user = username === undefined ? undefined : this.users.get(username);
      return user?.active ? user : 'invalid or expired operation token';
    }
    // Never echo the header itself: without a scheme it may be the credentials.
    const named = space > 0 && /^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(header.slice(0, space)) ? ` '${header.slice(0, space)}'` : '';
    return space < 0
      ? "the Authorization header has no scheme (expected 'Basic <base64 of username:password>' or 'Bearer <operation_token>')"
      : `unsupported Authorization scheme${named} (expected Basic or Bearer)`;
  }
}
