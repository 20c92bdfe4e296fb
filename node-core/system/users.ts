/**
 * Users in `system.hdb_user`: adding, altering, dropping, and checking credentials. Passwords
 * are stored only as scrypt hashes; verified credentials are cached (by a hash of them) so Basic
 * auth does not cost a scrypt per request; a cached check holds only while the stored hash is unchanged.
 * Each user also has a token generation (`token_generation`, never returned): random when the
 * user is added, replaced when the password changes, so tokens issued before stop working (the
 * first admin starts with the initial one: see addFirstAdmin).
 */
import crypto from 'node:crypto';
import { badRequest, notFound } from '../errors.ts';
import type { Database } from '../storage/database.ts';
import { writeRecords, deleteRecords } from '../storage/writes.ts';
import type { DataRecord } from '../storage/types.ts';
import { hashPassword, verifyPassword, UNMATCHABLE_HASH } from './passwords.ts';

export const ROLES = ['super_user', 'cluster_user', 'user', 'read_only'] as const;
export type RoleName = (typeof ROLES)[number];

export interface User {
  username: string;
  role: RoleName;
  active: boolean;
}

/** The role as HarperDB clients expect to see it on a user. */
export function describeRole(role: RoleName): { id: string; role: string; permission: Record<string, boolean> } {
  return {
    id: role,
    role,
    permission: { super_user: role === 'super_user', cluster_user: role === 'cluster_user' || role === 'super_user' },
  };
}

/** The hdb_user field holding the user's token generation (see tokens.ts). */
export const TOKEN_GENERATION_FIELD = 'token_generation';

/** Fields of an hdb_user row that never leave the node (responses, searches, sorts). */
export const USER_SECRET_FIELDS: readonly string[] = ['password', TOKEN_GENERATION_FIELD];

/** The token generation of users that have not had one chosen (the first admin, older rows). */
const INITIAL_GENERATION = '';

interface NewUser {
  username: string;
  password: string;
  role: RoleName;
  active: boolean;
}

function newGeneration(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** A user as operations return it: never with its password hash or token generation. */
export function publicUser(record: DataRecord): Record<string, unknown> {
  const { password: _password, [TOKEN_GENERATION_FIELD]: _generation, ...rest } = record;
  return { ...rest, role: describeRole(rest.role as RoleName) };
}

const TABLE = 'hdb_user';
const CREDENTIAL_CACHE_LIMIT = 1000;

export class UserStore {
  /** hash of (username, password) → the stored password hash it was verified against */
  readonly #verified = new Map<string, string>();

  constructor(private readonly system: Database) {}

  get(username: string): User | undefined {
    const record = this.system.requireTable(TABLE).get(username);
    return record ? toUser(record) : undefined;
  }

  /** The user's current token generation ('' when it has none yet), undefined for no such user. */
  generation(username: string): string | undefined {
    const record = this.system.requireTable(TABLE).get(username);
    if (!record) return undefined;
    const generation = record[TOKEN_GENERATION_FIELD];
    return typeof generation === 'string' ? generation : INITIAL_GENERATION;
  }

  records(): DataRecord[] {
    return [...this.system.requireTable(TABLE).scan()].map(({ stored }) => stored.r);
  }

  count(): number {
    return this.system.requireTable(TABLE).recordCount();
  }

  /** The user for these credentials, or undefined. Same work whether or not the user exists. */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const cacheKey = crypto.createHash('sha256').update(username).update('\0').update(password).digest('base64');
    const record = this.system.requireTable(TABLE).get(username);
    const stored = typeof record?.password === 'string' ? record.password : UNMATCHABLE_HASH;
    // A cached verification counts only while the stored hash is the one it was made against,
    // so a password changed here or by replication takes effect at once.
    if (this.#verified.get(cacheKey) !== stored) {
      if (!(await verifyPassword(password, stored))) return undefined;
      if (this.#verified.size >= CREDENTIAL_CACHE_LIMIT) this.#verified.clear();
      this.#verified.set(cacheKey, stored);
    }
    if (!record) return undefined;
    const user = toUser(record);
    return user.active ? user : undefined;
  }

  async add(input: NewUser, actor: string | null): Promise<void> {
    await this.#insert(input, newGeneration(), actor);
  }

  /**
   * The admin a node makes on its first start. It has the initial token generation ('') rather
   * than a random one: every node makes its own first admin, and when nodes join, hdb_user
   * replicates and one node's row wins on all of them; a random generation there would end every
   * session on the other nodes although nobody changed a password. A password change or a drop
   * and re-add gives it a random generation, as for any user.
   */
  async addFirstAdmin(input: NewUser): Promise<void> {
    await this.#insert(input, INITIAL_GENERATION, null);
  }

  async #insert(input: NewUser, generation: string, actor: string | null): Promise<void> {
    const password = await hashPassword(input.password);
    const table = this.system.requireTable(TABLE);
    const record: DataRecord = { username: input.username, password, role: input.role, active: input.active, [TOKEN_GENERATION_FIELD]: generation };
    const outcome = await this.system.transact((tx) => writeRecords(tx, table, [record], [input.username], 'insert'), { user: actor });
    if (outcome.skipped.length > 0) throw badRequest(`User '${input.username}' already exists`);
  }

  async alter(
    input: { username: string; password?: string | undefined; role?: RoleName | undefined; active?: boolean | undefined },
    actor: string | null,
  ): Promise<void> {
    const changes: DataRecord = { username: input.username };
    if (input.password !== undefined) {
      changes.password = await hashPassword(input.password);
      changes[TOKEN_GENERATION_FIELD] = newGeneration();
    }
    if (input.role !== undefined) changes.role = input.role;
    if (input.active !== undefined) changes.active = input.active;
    const table = this.system.requireTable(TABLE);
    const outcome = await this.system.transact((tx) => writeRecords(tx, table, [changes], [input.username], 'update'), { user: actor });
    if (outcome.skipped.length > 0) throw notFound(`User '${input.username}' does not exist`);
  }

  async drop(username: string, actor: string | null): Promise<void> {
    const table = this.system.requireTable(TABLE);
    const outcome = await this.system.transact((tx) => deleteRecords(tx, table, [username]), { user: actor });
    if (outcome.skipped.length > 0) throw notFound(`User '${username}' does not exist`);
  }
}

function toUser(record: DataRecord): User {
  return {
    username: String(record.username),
    role: (ROLES as readonly string[]).includes(String(record.role)) ? (record.role as RoleName) : 'read_only',
    active: record.active !== false,
  };
}
