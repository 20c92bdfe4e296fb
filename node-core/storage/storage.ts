/**
 * All databases of a node: opens every `<root>/database/<name>.mdb` at start, creates and
 * drops databases, and looks them up for the operations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badRequest, notFound } from '../errors.ts';
import { ensurePrivateDatabaseFiles, ensurePrivateDirectory, ensurePrivateRoot } from '../security/file-modes.ts';
import { Database, type DatabaseContext } from './database.ts';
import { assertValidName } from './names.ts';

const FILE_SUFFIX = '.mdb';

export class Storage {
  readonly #databases = new Map<string, Database>();
  readonly #createdListeners = new Set<(database: Database) => void>();

  private constructor(
    readonly directory: string,
    private readonly context: DatabaseContext,
  ) {}

  static open(rootPath: string, context: DatabaseContext): Storage {
    const directory = path.join(rootPath, 'database');
    // Root 0700 and database files 0600 (SPEC 3); laxer modes of an existing root are tightened.
    ensurePrivateRoot(rootPath);
    ensurePrivateDirectory(directory);
    const storage = new Storage(directory, context);
    for (const file of fs.readdirSync(directory)) {
      if (!file.endsWith(FILE_SUFFIX)) continue;
      const name = file.slice(0, -FILE_SUFFIX.length);
      storage.#databases.set(name, Database.open(name, path.join(directory, file), context));
      ensurePrivateDatabaseFiles(path.join(directory, file));
    }
    return storage;
  }

  databases(): Database[] {
    return [...this.#databases.values()];
  }

  database(name: string): Database | undefined {
    return this.#databases.get(name);
  }

  requireDatabase(name: string): Database {
    const database = this.#databases.get(name);
    if (!database) throw notFound(`database '${name}' does not exist`);
    return database;
  }

  /** The database, created when missing (writes to a new database name create it, as HarperDB does). */
  ensureDatabase(name: string): Database {
    return this.#databases.get(name) ?? this.createDatabase(name);
  }

  createDatabase(name: string): Database {
    assertValidName('database', name);
    if (this.#databases.has(name)) throw badRequest(`database '${name}' already exists`);
    const database = Database.open(name, path.join(this.directory, name + FILE_SUFFIX), this.context);
    ensurePrivateDatabaseFiles(database.path);
    this.#databases.set(name, database);
    for (const listener of this.#createdListeners) listener(database);
    return database;
  }

  /** Be told of databases created from now on; returns the unsubscribe function. */
  onDatabaseCreated(listener: (database: Database) => void): () => void {
    this.#createdListeners.add(listener);
    return () => this.#createdListeners.delete(listener);
  }

  async dropDatabase(name: string): Promise<void> {
    if (name === 'system') throw badRequest("The 'system' database cannot be dropped");
    const database = this.requireDatabase(name);
    this.#databases.delete(name);
    await database.close();
    fs.rmSync(database.path, { force: true });
    fs.rmSync(database.path + '-lock', { force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#databases.values()].map((db) => db.close()));
    this.#databases.clear();
  }
}
