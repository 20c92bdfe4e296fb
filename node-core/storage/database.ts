/**
 * One database: an LMDB environment (`<root>/database/<name>.mdb`) holding its tables, their
 * definitions and its transaction log. Every write goes through `transact`, which runs in a
 * child transaction of lmdb-js's batched write transaction (so concurrent requests share
 * commits yet each stays atomic), appends one log entry in the same LMDB transaction, and
 * resolves only once the commit is flushed to disk.
 */
import { EventEmitter } from 'node:events';
import { open, type Database as LmdbDb, type Key, type RootDatabase } from 'lmdb';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import { badRequest, notFound } from '../errors.ts';
import { FIXED_SUB_DATABASES, MAX_TABLES_PER_DATABASE, SUB_DATABASES_PER_TABLE, tableCapacityError } from '../security/table-limit.ts';
import { commitFailure } from './commit-failure.ts';
import { OriginIndex, type OriginIndexed } from './origin-index.ts';
import { releaseEncoderBufferAfter } from './encoder-buffer.ts';
import { IndexBatch } from './index-batch.ts';
import { RecentEntries } from './recent-entries.ts';
import { Table } from './table.ts';
import { VisibilitySignal, watchVisibility } from './visibility.ts';
import type { LogEntry, LoggedWrite, SchemaChange, StoredRecord, TableDefinition, Tombstone, PrimaryKey, Stub } from './types.ts';

/** Meta key: the last log sequence removed by retention (0: none yet). */
export const PURGED_THROUGH_KEY = ['purgedThrough'];

/** LMDB's maxDbs per environment: room for the most tables a database may hold, and the fixed ones. */
const MAX_SUB_DATABASES = MAX_TABLES_PER_DATABASE * SUB_DATABASES_PER_TABLE + FIXED_SUB_DATABASES;
const PURGE_BATCH_SIZE = 1000;

export interface DatabaseContext {
  nodeName: string;
  clock: HybridLogicalClock;
}

export interface TransactOptions {
  user: string | null;
  /** version to write under (replicated transactions); default: a fresh local version */
  version?: number;
  /** origin node of the transaction; default: this node */
  origin?: string;
  /** written here under another node's version and origin, not as it streamed from it (LogEntry.m) */
  merged?: boolean;
}

/** What a transaction callback can do; all of it lands in one LMDB transaction and one log entry. */
export interface WriteTransaction {
  readonly version: number;
  /** this transaction's log sequence (its place in this node's log; tombstones are stamped with it) */
  readonly sequence: number;
  readonly origin: string;
  table(name: string): Table;
  /** record a write for the transaction log (Table methods do not log by themselves) */
  logWrite(write: LoggedWrite): void;
  logSchema(change: SchemaChange): void;
}

export interface DatabaseSnapshot {
  /** last log sequence included in the snapshot */
  sequence: number;
  /** records, tombstones and stubs of `table` in the snapshot: the items a copy of it carries */
  count(table: Table): number;
  /** keys in one of a table's stores after `after` (all without it): what a resumed copy has left */
  countAfter(table: Table, store: 'records' | 'stubs' | 'tombstones', after?: PrimaryKey): number;
  /** the generators start after `after` when given (a resumed copy) */
  records(table: Table, after?: PrimaryKey): Generator<{ key: PrimaryKey; stored: StoredRecord }>;
  tombstones(table: Table, after?: PrimaryKey): Generator<{ key: PrimaryKey; tombstone: Tombstone }>;
  /** sharded tables: records this node does not hold (key, version, holders) */
  stubs(table: Table, after?: PrimaryKey): Generator<{ key: PrimaryKey; stub: Stub }>;
  release(): void;
}

/** Keys of the meta sub-database: ['position', peer], ['synced'], ... */
export type MetaKey = Array<string | number>;

export interface MetaWriter {
  /** set (or with undefined, remove) a meta value inside the running transaction */
  set(key: MetaKey, value: unknown): void;
}

export interface CommitEvent {
  database: string;
  sequence: number;
  entry: LogEntry;
}

/** Range options for keys strictly after `after` (everything without it). */
function rangeAfter(after: PrimaryKey | undefined): { start?: Key; exclusiveStart?: boolean } {
  return after === undefined ? {} : { start: after, exclusiveStart: true };
}

export class Database {
  readonly #env: RootDatabase;
  readonly #meta: LmdbDb<unknown, Key>;
  readonly #log: LmdbDb<LogEntry, Key>;
  readonly #byOrigin: OriginIndex;
  /** entries just committed, shared with the publishers that read them next (weakly held) */
  readonly #recent = new RecentEntries();
  readonly #tables = new Map<string, Table>();
  /** index writes of the running write transaction, grouped by attribute (index-batch.ts) */
  readonly #indexBatch = new IndexBatch();
  readonly #events = new EventEmitter();
  /** transactions visible before their flush (visibility.ts) */
  readonly #visible = new VisibilitySignal();
  readonly #watchingVisibility: boolean;
  #closed = false;

  private constructor(
    readonly name: string,
    readonly path: string,
    private readonly context: DatabaseContext,
  ) {
    this.#env = open({ path, maxDbs: MAX_SUB_DATABASES, overlappingSync: true });
    this.#meta = this.#env.openDB('meta', {});
    this.#log = this.#env.openDB('log', {});
    this.#byOrigin = new OriginIndex(this.#env);
    // Readers renew their snapshot once per timer turn: renew it now, so listeners read what became visible.
    this.#watchingVisibility = watchVisibility(this.#env, () => (this.#env.resetReadTxn(), this.#visible.fire()));
    for (const { key, value } of this.#meta.getRange({ start: ['table'], end: ['table', '\u{10FFFF}'] })) {
      if (Array.isArray(key) && key[0] === 'table') this.#attach(value as TableDefinition);
    }
    const last = this.lastSequence();
    if (last > 0) context.clock.observe(last);
    this.#events.setMaxListeners(0);
  }

  static open(name: string, path: string, context: DatabaseContext): Database {
    return new Database(name, path, context);
  }

  /** the name of the node this database belongs to (sharding: is it a record's holder?) */
  get nodeName(): string {
    return this.context.nodeName;
  }

  tables(): Table[] {
    return [...this.#tables.values()];
  }

  table(name: string): Table | undefined {
    return this.#tables.get(name);
  }

  requireTable(name: string): Table {
    const table = this.#tables.get(name);
    if (!table) throw notFound(`Table '${this.name}.${name}' does not exist`);
    return table;
  }

  /** Create a table (logged, so it replicates). Fails with 400 when it exists. */
  async createTable(
    definition: Omit<TableDefinition, 'database' | 'createdTime'>,
    options: TransactOptions,
  ): Promise<Table> {
    if (this.#tables.has(definition.name)) {
      throw badRequest(`Table '${definition.name}' already exists in '${this.name}'`);
    }
    const tooMany = tableCapacityError(this.name, this.#tables.size, 1);
    if (tooMany) throw tooMany;
    const full: TableDefinition = { ...definition, unindexed: [], database: this.name, createdTime: Date.now() };
    // Sub-databases are created before the transaction: lmdb-js opens them in their own txn.
    const table = this.#attach(full);
    try {
      await this.transact((tx) => {
        this.#saveDefinition(full);
        tx.logSchema({
          kind: 'create_table',
          table: full.name,
          primaryKey: full.primaryKey,
          attributes: full.attributes,
          replicate: full.replicate,
        });
      }, options);
    } catch (error) {
      this.#tables.delete(full.name);
      throw error;
    }
    return table;
  }

  async dropTable(name: string, options: TransactOptions): Promise<void> {
    const table = this.requireTable(name);
    await this.transact((tx) => {
      table.stores.records.dropSync();
      table.stores.index.dropSync();
      table.stores.tombstones.dropSync();
      table.stores.stubs.dropSync();
      this.#meta.remove(['table', name]);
      tx.logSchema({ kind: 'drop_table', table: name });
    }, options);
    this.#tables.delete(name);
  }

  /**
   * Run `write` atomically in the next batched LMDB transaction and log what it did.
   * Resolves with its result once durable; rejects (changing nothing) if it throws.
   */
  async transact<T>(write: (tx: WriteTransaction) => T, options: TransactOptions): Promise<T> {
    this.#assertOpen();
    const committed: CommitEvent[] = [];
    const result = await this.#env.childTransaction(() => this.#runLogged(write, options, committed)).catch(commitFailure).catch(this.#rollBackDefinitions);
    this.#committed(committed);
    await this.#afterCommit(committed);
    return result;
  }

  /**
   * Several transactions in one LMDB transaction (as received from a peer): each keeps its own
   * version, origin and log entry; `finish` runs last inside the same LMDB transaction (to
   * persist a replication position with the data). All or nothing; resolves once durable.
   */
  async transactBatch(
    items: ReadonlyArray<{ options: TransactOptions; write: (tx: WriteTransaction) => void }>,
    finish?: (meta: MetaWriter) => void,
  ): Promise<void> {
    this.#assertOpen();
    const committed: CommitEvent[] = [];
    await this.#env
      .childTransaction(() =>
        this.#indexBatch.run(() => {
          for (const item of items) this.#runLogged(item.write, item.options, committed);
          finish?.(this.#metaWriter);
        }),
      )
      .catch(commitFailure).catch(this.#rollBackDefinitions);
    this.#committed(committed);
    await this.#afterCommit(committed);
  }

  /**
   * Writes that are not transactions of their own (records merged from a peer's copy): not
   * logged, and resolved once committed, not flushed. `meta` writes in the same transaction
   * (a copy's resume point lands with the records it covers). Whoever needs them durable awaits a later
   * durable write (LMDB flushes in commit order).
   */
  async writeUnlogged(write: (meta: MetaWriter) => void): Promise<void> {
    this.#assertOpen();
    await this.#env.childTransaction(() => this.#indexBatch.run(() => write(this.#metaWriter))).catch(commitFailure).catch(this.#rollBackDefinitions);
    this.#events.emit('committed', null);
  }

  /** Values this database keeps beside its tables (replication positions, sync state). */
  getMeta<T>(key: MetaKey): T | undefined {
    return this.#meta.get(key) as T | undefined;
  }

  /** Write meta values on their own (durable on return). */
  async setMeta(entries: ReadonlyArray<[MetaKey, unknown]>): Promise<void> {
    this.#assertOpen();
    await this.#env.transaction(() => {
      for (const [key, value] of entries) this.#metaWriter.set(key, value);
    }).catch(commitFailure);
    await this.#env.flushed;
  }

  /** Make sure tables exist (definitions received from a peer); not logged. */
  async ensureTables(definitions: ReadonlyArray<Omit<TableDefinition, 'database' | 'createdTime'>>): Promise<void> {
    const missing = definitions.filter((d) => !this.#tables.has(d.name));
    if (missing.length === 0) return;
    const full = tableCapacityError(this.name, this.#tables.size, missing.length);
    if (full) throw full;
    // What this node's index leaves out is its own business: a peer's `unindexed` is not taken.
    const attached = missing.map((d) => this.#attach({ name: d.name, primaryKey: d.primaryKey, attributes: [...d.attributes], unindexed: [], replicate: d.replicate, database: this.name, createdTime: Date.now() }));
    await this.#env.transaction(() => {
      for (const table of attached) this.#saveDefinition(table.definition);
    }).catch(commitFailure);
    await this.#env.flushed;
  }

  /**
   * A consistent read snapshot (for an initial copy): the log position and every record as of
   * one committed state. Call release() when done; a snapshot pins old pages until then.
   */
  openSnapshot(): DatabaseSnapshot {
    const transaction = this.#env.useReadTransaction();
    // With the log purged empty, the snapshot still reflects everything through the purge.
    let sequence = (this.#meta.get(PURGED_THROUGH_KEY, { transaction }) as number | undefined) ?? 0;
    for (const key of this.#log.getKeys({ reverse: true, limit: 1, transaction })) sequence = Math.max(sequence, key as number);
    return {
      sequence,
      count: (table) => {
        let n = 0;
        for (const _ of table.stores.records.getKeys({ transaction })) n++;
        for (const _ of table.stores.tombstones.getKeys({ transaction })) n++;
        // Sharded tables: stubs go in the copy too (SPEC 4.10).
        for (const _ of table.stores.stubs.getKeys({ transaction })) n++;
        return n;
      },
      countAfter: (table, store, after) => {
        let n = 0;
        for (const _ of table.stores[store].getKeys({ transaction, ...rangeAfter(after) })) n++;
        return n;
      },
      *records(table, after) {
        for (const { key, value } of table.stores.records.getRange({ transaction, ...rangeAfter(after) })) yield { key: key as PrimaryKey, stored: value };
      },
      *tombstones(table, after) {
        for (const { key, value } of table.stores.tombstones.getRange({ transaction, ...rangeAfter(after) })) yield { key: key as PrimaryKey, tombstone: value };
      },
      *stubs(table, after) {
        for (const { key, value } of table.stores.stubs.getRange({ transaction, ...rangeAfter(after) })) yield { key: key as PrimaryKey, stub: value };
      },
      release: () => transaction.done(),
    };
  }

  readonly #metaWriter: MetaWriter = {
    set: (key, value) => void (value === undefined ? this.#meta.remove(key) : this.#meta.put(key, value)),
  };

  /** An aborted transaction may have taught tables attributes it never stored: forget them. */
  readonly #rollBackDefinitions = (error: unknown): never => {
    for (const table of this.#tables.values()) {
      const stored = this.#meta.get(['table', table.name]) as TableDefinition | undefined;
      if (!stored) continue;
      const unindexed = (definition: TableDefinition) => (definition.unindexed ?? definition.attributes).length;
      if (stored.attributes.length !== table.definition.attributes.length || unindexed(stored) !== unindexed(table.definition)) table.resetAttributes(stored);
    }
    throw error;
  };

  #runLogged<T>(write: (tx: WriteTransaction) => T, options: TransactOptions, committed: CommitEvent[]): T {
    const sequence = this.context.clock.next();
    const version = options.version ?? sequence;
    const origin = options.origin ?? this.context.nodeName;
    const writes: LoggedWrite[] = [];
    const schema: SchemaChange[] = [];
    const tx: WriteTransaction = {
      version,
      sequence,
      origin,
      table: (name) => this.requireTable(name),
      logWrite: (w) => void writes.push(w),
      logSchema: (c) => void schema.push(c),
    };
    const value = this.#indexBatch.run(() => write(tx));
    if (writes.length > 0 || schema.length > 0) {
      const entry: LogEntry = { v: version, o: origin, u: options.user, w: writes };
      if (schema.length > 0) entry.s = schema;
      if (options.merged) entry.m = true;
      this.#log.put(sequence, entry);
      releaseEncoderBufferAfter(this.#log, entry);
      this.#byOrigin.record(sequence, entry);
      this.#recent.remember(sequence, entry);
      committed.push({ database: this.name, sequence, entry });
    }
    return value;
  }

  /** Tell onTablesCommitted listeners which tables the commit just made visible wrote. */
  #committed(committed: CommitEvent[]): void {
    if (committed.length > 0) this.#events.emit('committed', [...new Set(committed.flatMap((c) => c.entry.w.map((w) => w.t)))]);
  }

  async #afterCommit(committed: CommitEvent[]): Promise<void> {
    await this.#env.flushed;
    for (const event of committed) this.#events.emit('commit', event);
    if (committed.length > 0) this.notifyTablesChanged([...new Set(committed.flatMap((c) => c.entry.w.map((w) => w.t)))]);
  }

  /**
   * Tell listeners which tables changed, logged or not (a copy from a peer writes without a log
   * entry, yet whoever follows a table, such as membership following hdb_nodes, must know).
   */
  notifyTablesChanged(tables: readonly string[]): void {
    if (tables.length > 0) this.#events.emit('tables', tables);
  }

  /**
   * Be told as soon as a commit is visible to reads, before it is durable (onTablesChanged and
   * onCommit wait for the flush): the tables its logged writes touched, or null for unlogged
   * writes (tables unknown). For caches of what the data says, which must not outlive a change.
   */
  onTablesCommitted(listener: (tables: readonly string[] | null) => void): () => void {
    this.#events.on('committed', listener);
    return () => this.#events.off('committed', listener);
  }

  onTablesChanged(listener: (tables: readonly string[]) => void): () => void {
    this.#events.on('tables', listener);
    return () => this.#events.off('tables', listener);
  }

  /** Listen for committed (durable) transactions; returns the unsubscribe function. */
  onCommit(listener: (event: CommitEvent) => void): () => void {
    this.#events.on('commit', listener);
    return () => this.#events.off('commit', listener);
  }

  /**
   * Listen for transactions becoming visible, before their flush (visibility.ts): a hint to read
   * the log early. Not every transaction is announced here; onCommit announces each, once durable.
   */
  onVisible(listener: () => void): () => void {
    return this.#visible.on(listener);
  }

  /** Inside a transaction callback: resolves once it is visible here; null when that cannot be told. */
  nextVisible(): Promise<void> | null {
    return this.#watchingVisibility ? this.#visible.next() : null;
  }

  /** Log entries after `afterSequence`, in commit order. */
  *readLog(afterSequence: number, limit = Infinity): Generator<{ sequence: number; entry: LogEntry }> {
    let count = 0;
    for (const key of this.#log.getKeys({ start: afterSequence, exclusiveStart: true })) {
      if (count++ >= limit) return;
      const sequence = key as number;
      const entry = this.#recent.get(sequence) ?? (this.#log.get(sequence) as LogEntry | undefined);
      // Purged between the key and its value: the caller sees the gap by the purge mark.
      if (entry) yield { sequence, entry };
    }
  }

  /** Logged transactions of `origin` with a version above `afterVersion` (origin-index.ts). */
  logByOrigin(origin: string, afterVersion: number, limit: number): Generator<OriginIndexed> {
    return this.#byOrigin.after(origin, afterVersion, limit);
  }

  /** The log entry at `sequence`, if it is still kept. */
  logEntry(sequence: number): LogEntry | undefined {
    return this.#recent.get(sequence) ?? (this.#log.get(sequence) as LogEntry | undefined);
  }

  /** The oldest log entry's sequence still kept (0 when the log is empty). */
  firstSequence(): number {
    for (const key of this.#log.getKeys({ limit: 1 })) return key as number;
    return 0;
  }

  lastSequence(): number {
    for (const key of this.#log.getKeys({ reverse: true, limit: 1 })) return key as number;
    return 0;
  }

  logEntryCount(): number {
    return (this.#log.getStats() as { entryCount: number }).entryCount;
  }

  /**
   * Remove log entries older than `cutoffMs`. Returns how many were removed. Tombstones are not
   * touched: they outlive the log (storage/tombstones.ts purges them on their own retention).
   */
  async purgeBefore(cutoffMs: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const keys = [...this.#log.getKeys({ end: cutoffMs, limit: PURGE_BATCH_SIZE })];
      if (keys.length === 0) return removed;
      await this.#env.transaction(() => {
        for (const key of keys) {
          const entry = this.#log.get(key) as LogEntry | undefined;
          if (entry) this.#byOrigin.remove(key as number, entry);
          this.#log.remove(key);
        }
        // Peers whose position is older than this missed entries for good: they need a copy.
        this.#metaWriter.set(PURGED_THROUGH_KEY, keys[keys.length - 1]);
      }).catch(commitFailure);
      removed += keys.length;
      if (keys.length < PURGE_BATCH_SIZE) return removed;
    }
  }

  /** Bytes the environment occupies (LMDB's page count × page size). */
  sizeBytes(): number {
    const stats = this.#env.getStats() as { pageSize?: number; lastPageNumber?: number };
    return (stats.pageSize ?? 4096) * ((stats.lastPageNumber ?? 0) + 1);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#env.flushed;
    await this.#env.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw notFound(`database '${this.name}' does not exist`);
  }

  #attach(definition: TableDefinition): Table {
    const prefix = `t:${definition.name}`;
    const stores = {
      records: this.#env.openDB<StoredRecord, Key>(`${prefix}:records`, {}),
      index: this.#env.openDB<PrimaryKey, Key>(`${prefix}:index`, { dupSort: true, encoding: 'ordered-binary' }),
      tombstones: this.#env.openDB<Tombstone, Key>(`${prefix}:tombstones`, {}),
      stubs: this.#env.openDB<Stub, Key>(`${prefix}:stubs`, {}),
    };
    // maxDbs is sized from this count: a table opening more would fail inside LMDB before the table limit.
    if (Object.keys(stores).length !== SUB_DATABASES_PER_TABLE) throw new Error(`a table opens ${Object.keys(stores).length} sub-databases, SUB_DATABASES_PER_TABLE says ${SUB_DATABASES_PER_TABLE}`);
    const table = new Table(
      definition,
      stores,
      (changed) => this.#saveDefinition(changed),
      this.#indexBatch,
    );
    this.#tables.set(definition.name, table);
    return table;
  }

  #saveDefinition(definition: TableDefinition): void {
    this.#meta.put(['table', definition.name], { ...definition, attributes: [...definition.attributes], unindexed: [...(definition.unindexed ?? definition.attributes)] });
  }
}
