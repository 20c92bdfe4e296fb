/**
 * Saved connections to remote nodes (`<userData>/connections.json`): name, URL, colour,
 * production flag, optional CA, and credentials. Credentials are encrypted with an injected
 * SecretCipher (Electron's safeStorage in the app, AES-GCM in tests) and never reach the disk in
 * plaintext; list/save return summaries without them. A password is best exchanged for tokens
 * (`create_authentication_tokens`) so that only the tokens are kept.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  PeerdeskError,
  type ConnectionAuth,
  type ConnectionInput,
  type ConnectionSummary,
  type ExchangePasswordInput,
} from './ipc/contract.ts';
import { parseNodeUrl, postOperation, type PostOperationOptions } from './ops-http.ts';

/** Encrypts secrets at rest; sync or async (Electron's safeStorage has both flavours). */
export interface SecretCipher {
  /** false when secrets cannot be protected here (then none are stored) */
  isAvailable(): boolean | Promise<boolean>;
  encrypt(plaintext: string): Buffer | Promise<Buffer>;
  decrypt(ciphertext: Buffer): string | Promise<string>;
}

/** The parts of Electron's safeStorage used by cipherFromSafeStorage. */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plaintext: string): Promise<Buffer>;
  decryptStringAsync(ciphertext: Buffer): Promise<{ result: string }>;
  getSelectedStorageBackend(): string;
}

/**
 * safeStorage as a SecretCipher. On Linux its `basic_text` backend (no keyring found) encrypts
 * with a key built into Chromium, which protects nothing: it counts as unavailable.
 */
export function cipherFromSafeStorage(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretCipher {
  return {
    async isAvailable() {
      if (!(await safeStorage.isAsyncEncryptionAvailable())) return false;
      return platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
    },
    encrypt: (plaintext) => safeStorage.encryptStringAsync(plaintext),
    decrypt: async (ciphertext) => (await safeStorage.decryptStringAsync(ciphertext)).result,
  };
}

export const CONNECTIONS_FILE_NAME = 'connections.json';
/** Saved connections at most; past it save refuses a new one. */
export const MAX_CONNECTIONS = 500;
/** connections.json larger than this is not read (a few hundred connections take ~1 MiB). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const DEFAULT_COLOUR = '#6b7280';
const FILE_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Validation of what the renderer sends (also used by the IPC handlers)

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` });

/** A node URL, normalised to origin plus path without a trailing slash: https://db.example.com:9925 */
export const nodeUrlSchema = z
  .string({ error: 'url must be a string' })
  .trim()
  .max(2048, { error: 'url must be at most 2048 characters' })
  .transform((value, ctx) => {
    try {
      const url = parseNodeUrl(value);
      if (url.search || url.hash) throw new PeerdeskError('INVALID_INPUT', 'a node URL has no ?query or #fragment');
      return url.origin + url.pathname.replace(/\/+$/, '');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `url: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const colourSchema = z
  .string({ error: 'colour must be a string' })
  .regex(/^#[0-9a-fA-F]{6}$/, { error: 'colour must be #rrggbb' })
  .transform((value) => value.toLowerCase());

export const pemCertificateSchema = z
  .string({ error: 'caCertificate must be PEM text' })
  .max(64 * 1024, { error: 'caCertificate must be at most 64 KiB' })
  .refine((value) => value.includes('-----BEGIN CERTIFICATE-----'), { error: 'caCertificate must contain a -----BEGIN CERTIFICATE----- block' });

const tokenText = (field: string) =>
  z.string({ error: `${field} must be a string` }).min(1, { error: `${field} must not be empty` }).max(8192, { error: `${field} is too long` });

export const connectionAuthSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('token'),
      operationToken: tokenText('operationToken'),
      refreshToken: tokenText('refreshToken').nullable(),
      username: text('username', 256).nullish(),
    }),
    z.strictObject({
      kind: z.literal('basic'),
      username: text('username', 256),
      password: z.string({ error: 'password must be a string' }).min(1, { error: 'password must not be empty' }).max(1024, { error: 'password is too long' }),
    }),
  ],
  { error: "auth.kind must be 'none', 'token' or 'basic'" },
);

const idSchema = z.uuid({ error: 'id must be a connection id' });

export const connectionInputSchema = z.strictObject({
  id: idSchema.optional(),
  name: text('name', 100).optional(),
  url: nodeUrlSchema.optional(),
  colour: colourSchema.optional(),
  production: z.boolean({ error: 'production must be true or false' }).optional(),
  caCertificate: pemCertificateSchema.nullable().optional(),
  auth: connectionAuthSchema.optional(),
});

export const exchangePasswordSchema = z.strictObject({
  id: idSchema,
  username: text('username', 256),
  password: z.string({ error: 'password must be a string' }).min(1, { error: 'password must not be empty' }).max(1024, { error: 'password is too long' }),
});

export const connectionIdSchema = idSchema;

// ---------------------------------------------------------------------------------------------
// The file

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const storedAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('token'), username: z.string().nullable(), hasRefreshToken: z.boolean(), secret: base64 }),
  z.object({ kind: z.literal('basic'), username: z.string(), secret: base64 }),
]);
const storedConnectionSchema = z.object({
  id: idSchema,
  name: z.string().min(1),
  url: z.string().min(1),
  colour: colourSchema,
  production: z.boolean(),
  caCertificate: z.string().nullable(),
  auth: storedAuthSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
});
const storedFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  connections: z.array(storedConnectionSchema).max(MAX_CONNECTIONS),
});

type StoredConnection = z.infer<typeof storedConnectionSchema>;
type StoredAuth = z.infer<typeof storedAuthSchema>;
type StoredFile = z.infer<typeof storedFileSchema>;

/** What is encrypted: the secret parts of each auth kind. */
type TokenSecret = { operationToken: string; refreshToken: string | null };
type BasicSecret = { password: string };

function summary(connection: StoredConnection): ConnectionSummary {
  const { auth } = connection;
  return {
    id: connection.id,
    name: connection.name,
    url: connection.url,
    colour: connection.colour,
    production: connection.production,
    caCertificate: connection.caCertificate,
    auth:
      auth.kind === 'none'
        ? { kind: 'none' }
        : auth.kind === 'token'
          ? { kind: 'token', username: auth.username, hasRefreshToken: auth.hasRefreshToken }
          : { kind: 'basic', username: auth.username },
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
  };
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export interface ConnectionProfilesOptions {
  /** the app's userData directory; the file is `<dir>/connections.json` */
  directory: string;
  cipher: SecretCipher;
  /** how exchangePassword reaches a node; postOperation unless a test says otherwise */
  post?: typeof postOperation;
  now?: () => number;
}

export class ConnectionProfiles {
  readonly file: string;
  readonly #cipher: SecretCipher;
  readonly #post: typeof postOperation;
  readonly #now: () => number;
  #cache: StoredFile | null = null;
  /** every read-modify-write runs after the previous one */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: ConnectionProfilesOptions) {
    this.file = path.join(options.directory, CONNECTIONS_FILE_NAME);
    this.#cipher = options.cipher;
    this.#post = options.post ?? postOperation;
    this.#now = options.now ?? Date.now;
  }

  async list(): Promise<ConnectionSummary[]> {
    return this.#serial(async () => (await this.#read()).connections.map(summary));
  }

  async get(id: string): Promise<ConnectionSummary> {
    return this.#serial(async () => summary(this.#find(await this.#read(), id)));
  }

  /** Creates (no id) or updates (id) a connection; validates first, encrypts any credentials. */
  async save(input: ConnectionInput): Promise<ConnectionSummary> {
    const parsed = parse(connectionInputSchema, input);
    return this.#serial(async () => {
      const file = await this.#read();
      const now = this.#now();
      let connection: StoredConnection;
      if (parsed.id === undefined) {
        if (parsed.name === undefined) throw new PeerdeskError('INVALID_INPUT', 'name is required for a new connection');
        if (parsed.url === undefined) throw new PeerdeskError('INVALID_INPUT', 'url is required for a new connection');
        if (file.connections.length >= MAX_CONNECTIONS) {
          throw new PeerdeskError('INVALID_INPUT', `There are already ${MAX_CONNECTIONS} saved connections, the most kept; remove one first`);
        }
        connection = {
          id: crypto.randomUUID(),
          name: parsed.name,
          url: parsed.url,
          colour: parsed.colour ?? DEFAULT_COLOUR,
          production: parsed.production ?? false,
          caCertificate: parsed.caCertificate ?? null,
          auth: await this.#storeAuth(parsed.auth ?? { kind: 'none' }),
          createdAt: now,
          updatedAt: now,
        };
        file.connections.push(connection);
      } else {
        const existing = this.#find(file, parsed.id);
        connection = {
          ...existing,
          name: parsed.name ?? existing.name,
          url: parsed.url ?? existing.url,
          colour: parsed.colour ?? existing.colour,
          production: parsed.production ?? existing.production,
          caCertificate: parsed.caCertificate === undefined ? existing.caCertificate : parsed.caCertificate,
          auth: parsed.auth === undefined ? existing.auth : await this.#storeAuth(parsed.auth),
          updatedAt: now,
        };
        // Credentials were given for one node; moving the connection elsewhere drops them unless new ones come along.
        if (parsed.auth === undefined && connection.url !== existing.url && existing.auth.kind !== 'none') {
          connection.auth = { kind: 'none' };
        }
        file.connections[file.connections.indexOf(existing)] = connection;
      }
      await this.#write(file);
      return summary(connection);
    });
  }

  async remove(id: string): Promise<{ removed: boolean }> {
    const parsedId = parse(connectionIdSchema, id);
    return this.#serial(async () => {
      const file = await this.#read();
      const index = file.connections.findIndex((connection) => connection.id === parsedId);
      if (index < 0) return { removed: false };
      file.connections.splice(index, 1);
      await this.#write(file);
      return { removed: true };
    });
  }

  /** The decrypted credentials of one connection. */
  async getCredentials(id: string): Promise<ConnectionAuth> {
    const parsedId = parse(connectionIdSchema, id);
    return this.#serial(async () => {
      const connection = this.#find(await this.#read(), parsedId);
      const { auth } = connection;
      if (auth.kind === 'none') return { kind: 'none' };
      if (auth.kind === 'token') {
        const secret = await this.#decrypt<TokenSecret>(connection);
        return { kind: 'token', operationToken: secret.operationToken, refreshToken: secret.refreshToken, username: auth.username };
      }
      const secret = await this.#decrypt<BasicSecret>(connection);
      return { kind: 'basic', username: auth.username, password: secret.password };
    });
  }

  /**
   * Logs in at the connection's node with create_authentication_tokens and stores the tokens it
   * returns in place of any earlier credentials; the password itself is never stored.
   */
  async exchangePassword(input: ExchangePasswordInput): Promise<ConnectionSummary> {
    const parsed = parse(exchangePasswordSchema, input);
    const target = await this.get(parsed.id);
    if (!(await this.#cipher.isAvailable())) throw encryptionUnavailable();
    const tokens = await exchangePasswordForTokens(target.url, parsed.username, parsed.password, {
      caCertificate: target.caCertificate,
      post: this.#post,
    });
    return this.#serial(async () => {
      const file = await this.#read();
      const existing = this.#find(file, parsed.id);
      if (existing.url !== target.url) {
        throw new PeerdeskError('INVALID_INPUT', `Connection '${existing.name}' moved to ${existing.url} during the login at ${target.url}; log in again`);
      }
      const connection: StoredConnection = {
        ...existing,
        auth: await this.#storeAuth({ kind: 'token', ...tokens, username: parsed.username }),
        updatedAt: this.#now(),
      };
      file.connections[file.connections.indexOf(existing)] = connection;
      await this.#write(file);
      return summary(connection);
    });
  }

  // -------------------------------------------------------------------------------------------

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #find(file: StoredFile, id: string): StoredConnection {
    const connection = file.connections.find((candidate) => candidate.id === id);
    if (!connection) throw new PeerdeskError('NOT_FOUND', `No saved connection has id ${id}`);
    return connection;
  }

  async #storeAuth(auth: ConnectionAuth): Promise<StoredAuth> {
    if (auth.kind === 'none') return { kind: 'none' };
    if (!(await this.#cipher.isAvailable())) throw encryptionUnavailable();
    if (auth.kind === 'token') {
      const secret: TokenSecret = { operationToken: auth.operationToken, refreshToken: auth.refreshToken };
      return { kind: 'token', username: auth.username ?? null, hasRefreshToken: auth.refreshToken !== null, secret: await this.#encrypt(secret) };
    }
    const secret: BasicSecret = { password: auth.password };
    return { kind: 'basic', username: auth.username, secret: await this.#encrypt(secret) };
  }

  async #encrypt(secret: TokenSecret | BasicSecret): Promise<string> {
    try {
      return Buffer.from(await this.#cipher.encrypt(JSON.stringify(secret))).toString('base64');
    } catch (error) {
      throw new PeerdeskError('ENCRYPTION_UNAVAILABLE', `Encrypting the credentials failed: ${describeError(error)}`);
    }
  }

  async #decrypt<T>(connection: StoredConnection): Promise<T> {
    const { auth } = connection;
    if (auth.kind === 'none') throw new PeerdeskError('INTERNAL', `Connection '${connection.name}' has no credentials to decrypt`);
    try {
      return JSON.parse(await this.#cipher.decrypt(Buffer.from(auth.secret, 'base64'))) as T;
    } catch (error) {
      throw new PeerdeskError(
        'ENCRYPTION_UNAVAILABLE',
        `The credentials of connection '${connection.name}' cannot be decrypted (${describeError(error)}); ` +
          'the OS keyring may have changed: log in to it again',
      );
    }
  }

  async #read(): Promise<StoredFile> {
    if (this.#cache) return structuredClone(this.#cache);
    let textContent: string;
    try {
      const stat = await fs.stat(this.file);
      if (stat.size > MAX_FILE_BYTES) {
        throw new PeerdeskError('STORAGE', `${this.file} is ${stat.size} bytes, over the limit of ${MAX_FILE_BYTES}; move it away to start afresh`);
      }
      textContent = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = { version: FILE_VERSION, connections: [] };
        return structuredClone(this.#cache);
      }
      if (error instanceof PeerdeskError) throw error;
      throw new PeerdeskError('STORAGE', `Reading ${this.file} failed: ${describeError(error)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(textContent);
    } catch (error) {
      throw new PeerdeskError('STORAGE', `${this.file} is not valid JSON (${describeError(error)}); fix it or move it away to start afresh`);
    }
    const parsed = storedFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'unknown problem';
      throw new PeerdeskError('STORAGE', `${this.file} is not a Peerdesk connections file (${where}); fix it or move it away to start afresh`);
    }
    this.#cache = parsed.data;
    return structuredClone(this.#cache);
  }

  /** Writes the whole file atomically (temporary file, then rename), readable by this user only. */
  async #write(file: StoredFile): Promise<void> {
    const temporary = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const handle = await fs.open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(file, null, 2) + '\n', 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, this.file);
    } catch (error) {
      await fs.rm(temporary, { force: true }).catch(() => undefined);
      throw new PeerdeskError('STORAGE', `Writing ${this.file} failed: ${describeError(error)}`);
    }
    this.#cache = structuredClone(file);
  }
}

function encryptionUnavailable(): PeerdeskError {
  return new PeerdeskError(
    'ENCRYPTION_UNAVAILABLE',
    'This system offers no secret storage (on Linux: no keyring such as GNOME Keyring or KWallet is running), ' +
      'so Peerdesk does not save credentials; save the connection without them and log in each time',
  );
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new PeerdeskError('INVALID_INPUT', formatIssues(result.error.issues));
}

/** "name: name must not be empty; url: ..." */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.map(String).join('.');
      return where && !issue.message.startsWith(where) ? `${where}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

const tokensAnswerSchema = z.object({ operation_token: z.string().min(1), refresh_token: z.string().min(1) });

/** The server's `{error}` text of an answer, or its first characters. */
function serverMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: unknown; message?: unknown } | null)?.error ?? (parsed as { message?: unknown } | null)?.message;
    if (typeof error === 'string') return error;
  } catch {
    // not JSON: show the text
  }
  return body.trim().slice(0, 200) || '(empty answer)';
}

/**
 * create_authentication_tokens at `url` with a username and password: the operation and refresh
 * tokens, or AUTH_FAILED (refused login), REMOTE_ERROR (other answers), NETWORK/TIMEOUT.
 */
export async function exchangePasswordForTokens(
  url: string,
  username: string,
  password: string,
  options: { caCertificate?: string | null; post?: typeof postOperation; timeoutMs?: number } = {},
): Promise<{ operationToken: string; refreshToken: string }> {
  const post = options.post ?? postOperation;
  const postOptions: PostOperationOptions = { caCertificate: options.caCertificate, timeoutMs: options.timeoutMs };
  const response = await post(url, JSON.stringify({ operation: 'create_authentication_tokens', username, password }), postOptions);
  if (response.status === 401 || response.status === 403) {
    throw new PeerdeskError('AUTH_FAILED', `Logging in as '${username}' at ${url} failed: ${serverMessage(response.body)}`, response.status);
  }
  if (response.status < 200 || response.status >= 300) {
    throw new PeerdeskError('REMOTE_ERROR', `Logging in as '${username}' at ${url} failed with HTTP ${response.status}: ${serverMessage(response.body)}`, response.status);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(response.body);
  } catch {
    throw new PeerdeskError('REMOTE_ERROR', `${url} answered the login with something that is not JSON; is it a Peerdesk or HarperDB operations API?`, response.status);
  }
  const tokens = tokensAnswerSchema.safeParse(answer);
  if (!tokens.success) {
    throw new PeerdeskError('REMOTE_ERROR', `${url} answered the login without operation_token and refresh_token; is it a Peerdesk or HarperDB operations API?`, response.status);
  }
  return { operationToken: tokens.data.operation_token, refreshToken: tokens.data.refresh_token };
}
