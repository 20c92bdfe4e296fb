/**
 * Authenticates a request from its Authorization header (Basic or Bearer operation token), and
 * rate-limits repeated failures per client address. Errors never say whether a user exists.
 */
import { tooManyRequests, unauthorized } from '../errors.ts';
import type { TokenIssuer } from '../system/tokens.ts';
import type { User, UserStore } from '../system/users.ts';

/** Failures allowed per client address within the window before it is refused for a while. */
export const MAX_LOGIN_FAILURES = 20;
export const LOGIN_FAILURE_WINDOW_MS = 60_000;

export class Authenticator {
  readonly #failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenIssuer,
  ) {}

  async authenticate(header: string | undefined, clientAddress: string): Promise<User> {
    this.#checkRateLimit(clientAddress);
    if (!header) throw unauthorized('Must login');
    const resolved = await this.#resolve(header);
    if (typeof resolved !== 'object') {
      this.#recordFailure(clientAddress);
      // A malformed header gets the reason; wrong credentials never say more than "Login failed".
      throw unauthorized(resolved ? `Login failed: ${resolved}` : 'Login failed');
    }
    return resolved;
  }

  /** Credentials given in a request body (create_authentication_tokens). */
  async login(username: string, password: string, clientAddress: string): Promise<User> {
    this.#checkRateLimit(clientAddress);
    const user = await this.users.authenticate(username, password);
    if (!user) {
      this.#recordFailure(clientAddress);
      throw unauthorized('Login failed');
    }
    return user;
  }

  /** The user, or why the header is refused ('' for wrong credentials: no detail). */
  async #resolve(header: string): Promise<User | string> {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      if (!value) return "Basic credentials are missing (expected 'Basic <base64 of username:password>')";
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return 'Basic credentials are not valid base64';
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return "Basic credentials must be the base64 of 'username:password'";
      return (await this.users.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1))) ?? '';
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

  #checkRateLimit(clientAddress: string): void {
    const entry = this.#failures.get(clientAddress);
    if (!entry) return;
    const elapsed = Date.now() - entry.since;
    if (elapsed > LOGIN_FAILURE_WINDOW_MS) {
      this.#failures.delete(clientAddress);
      return;
    }
    if (entry.count >= MAX_LOGIN_FAILURES) {
      const waitSeconds = Math.ceil((LOGIN_FAILURE_WINDOW_MS - elapsed) / 1000);
      throw tooManyRequests(`Too many failed logins from this address; try again in ${waitSeconds}s`);
    }
  }

  #recordFailure(clientAddress: string): void {
    const entry = this.#failures.get(clientAddress);
    if (entry && Date.now() - entry.since <= LOGIN_FAILURE_WINDOW_MS) entry.count += 1;
    else this.#failures.set(clientAddress, { count: 1, since: Date.now() });
  }
}
